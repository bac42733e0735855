import Foundation
import QEMUTestSupport
import QMP
import Testing

/// The documentation's examples, exercised: every YAML, JSON and Swift block
/// names the file under Playbooks/ or Tests/ it comes from (and matches it),
/// shown output is what qmpbook prints, shown commands exit as documented,
/// the report and CLI pages cover every field and flag, and links resolve.
///
/// Markers are HTML comments on the line before a fenced block:
/// - `<!-- example: PATH -->`: the block is a verbatim run of lines of PATH;
/// - `<!-- output: ARGS -->`: the block is what `qmpbook ARGS` prints, up to
///   durations, pids and the QEMU version;
/// - `<!-- commands -->`: each line runs (with `/tmp/vm.qmp` a real QEMU's
///   monitor) and exits 0, or N when it ends with `# exit N`;
/// - `<!-- report: PLAYBOOK -->`: the block is an excerpt of that playbook's report;
/// - `<!-- manifest -->`: a Package.swift excerpt naming this package's library product.
@Suite(.serialized, .timeLimit(.minutes(5))) struct DocsTests {
    /// The pages this suite holds to these rules.
    static let pages = ["README.md", "Docs/getting-started.md", "Docs/cli.md", "Docs/report.md", "Docs/library.md"]

    @Test(arguments: pages)
    func everyCodeExampleNamesWhereItIsTested(_ page: String) throws {
        for block in try MarkdownPage(page).blocks where ["yaml", "yml", "json", "swift"].contains(block.language) {
            #expect(block.marker != nil, "\(page):\(block.line): a \(block.language) example needs a marker naming its tested source")
        }
    }

    @Test(arguments: pages)
    func examplesAreVerbatimExcerptsOfTestedFiles(_ page: String) throws {
        for block in try MarkdownPage(page).blocks {
            guard let path = block.argument(of: "example") else { continue }
            #expect(path.hasPrefix("Playbooks/") || path.hasPrefix("Tests/"), "\(page):\(block.line): \(path) is not under Playbooks/ or Tests/")
            let source = try String(contentsOfFile: Repository.path(path), encoding: .utf8)
            #expect(Self.lines(source).containsRun(block.lines), "\(page):\(block.line): the block is not a verbatim excerpt of \(path)")
            if path.hasPrefix("Playbooks/") {
                #expect(ShippedPlaybooks.names.contains(String(path.dropFirst("Playbooks/".count))))
            }
        }
    }

    @Test func libraryPageShowsTheWholeTestedExample() throws {
        let source = try String(contentsOfFile: Repository.path("Tests/QMPTests/LibraryExampleTests.swift"), encoding: .utf8)
        let lines = Self.lines(source)
        let begin = try #require(lines.firstIndex(of: "// library-example:begin"))
        let end = try #require(lines.firstIndex(of: "// library-example:end"))
        let block = try #require(try MarkdownPage("Docs/library.md").blocks.first { $0.argument(of: "example") != nil })
        #expect(block.lines == Array(lines[(begin + 1)..<end]))
    }

    @Test func doccLandingPageShowsTheWholeTestedExample() throws {
        let source = try String(contentsOfFile: Repository.path("Tests/QMPTests/LibraryExampleTests.swift"), encoding: .utf8)
        let lines = Self.lines(source)
        let begin = try #require(lines.firstIndex(of: "// library-example:begin"))
        let end = try #require(lines.firstIndex(of: "// library-example:end"))
        let block = try #require(try MarkdownPage("Sources/QMP/QMP.docc/QMP.md").blocks.first { $0.language == "swift" })
        #expect(block.lines == Array(lines[(begin + 1)..<end]))
    }

    @Test func manifestExampleNamesThisPackagesLibraryProduct() throws {
        let manifest = try String(contentsOfFile: Repository.path("Package.swift"), encoding: .utf8)
        let blocks = try MarkdownPage("Docs/library.md").blocks.filter { $0.marker == "manifest" }
        #expect(blocks.count == 1)
        for block in blocks {
            let text = block.lines.joined(separator: "\n")
            let product = try #require(text.firstMatch(of: /\.product\(name: "([^"]+)", package: "([^"]+)"\)/))
            #expect(manifest.contains(".library(name: \"\(product.1)\""), "Package.swift has no library product \(product.1)")
            #expect(manifest.contains("name: \"\(product.2)\""), "the package is not named \(product.2)")
        }
    }

    @Test(arguments: pages)
    func relativeLinksResolve(_ page: String) throws {
        let text = try String(contentsOfFile: Repository.path(page), encoding: .utf8)
        let folder = URL(fileURLWithPath: Repository.path(page)).deletingLastPathComponent()
        for match in text.matches(of: /\]\(([^)#\s]+)(#[^)\s]*)?\)/) {
            let link = String(match.1)
            if link.contains("://") { continue }
            let target = folder.appendingPathComponent(link).standardized.path
            #expect(FileManager.default.fileExists(atPath: target), "\(page): the link \(link) leads nowhere")
            if let anchor = match.2, link.hasSuffix(".md") {
                let linked = try String(contentsOfFile: target, encoding: .utf8)
                #expect(MarkdownPage.anchors(in: linked).contains(String(anchor.dropFirst())), "\(page): \(link)\(anchor) has no such heading")
            }
        }
    }

    @Test func shownOutputIsWhatQmpbookPrints() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let workspace = try Workspace()
        for page in Self.pages {
            for block in try MarkdownPage(page).blocks {
                guard let arguments = block.argument(of: "output") else { continue }
                let command = "qmpbook " + arguments.replacingOccurrences(of: "/tmp/vm.qmp", with: qemu.socketPath)
                let output = try await workspace.shell(command)
                #expect(output.status == 0, "\(page):\(block.line): \(command): \(output.standardError)")
                let printed = Self.lines(output.standardOutput).map(Self.normalized)
                #expect(printed == block.lines.map(Self.normalized), "\(page):\(block.line): `\(command)` printed:\n\(output.standardOutput)")
            }
        }
    }

    @Test func shownCommandsExitAsDocumented() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let workspace = try Workspace()
        var count = 0
        for page in Self.pages {
            for block in try MarkdownPage(page).blocks where block.marker == "commands" {
                for line in block.lines where line.hasPrefix("qmpbook ") {
                    let expected = line.firstMatch(of: /# exit (\d+)\s*$/).map { Int32($0.1)! } ?? 0
                    let command = line.replacingOccurrences(of: "/tmp/vm.qmp", with: qemu.socketPath)
                    let output = try await workspace.shell(command)
                    #expect(output.status == expected, "\(page):\(block.line): `\(line)` exited \(output.status): \(output.standardError)")
                    count += 1
                }
            }
        }
        #expect(count >= 10, "the pages show \(count) commands; expected the CLI page's examples")
        #expect(qemu.isRunning, "a runbook run with --target must leave the VM running")
    }

    @Test func reportExampleHoldsOnlyFieldsOfARealReport() async throws {
        let block = try #require(try MarkdownPage("Docs/report.md").blocks.first { $0.argument(of: "report") != nil })
        let playbook = try #require(block.argument(of: "report"))
        let real = try await Self.report(of: playbook)
        let shown = try JSONValue(parsing: block.lines.joined(separator: "\n"))
        let extra = ReportFields.paths(of: shown).subtracting(ReportFields.paths(of: real))
        #expect(extra.isEmpty, "fields the example shows that a real report does not have: \(extra.sorted())")
        #expect(shown["format"] == real["format"])
        #expect(shown["playbook"]?["path"] == real["playbook"]?["path"])
        #expect(shown["summary"]?["total"] == real["summary"]?["total"])
    }

    @Test func reportPageDescribesEveryField() async throws {
        let page = try String(contentsOfFile: Repository.path("Docs/report.md"), encoding: .utf8)
        let real = try await Self.report(of: "Playbooks/migrate-via-file.yaml")
        let paths = ReportFields.paths(of: real)
        #expect(paths.count > 50)
        for path in paths.sorted() {
            #expect(page.contains("| `\(path)` |"), "Docs/report.md has no row for `\(path)`")
        }
    }

    @Test func cliPageDescribesEveryCommandAndFlag() async throws {
        let page = try String(contentsOfFile: Repository.path("Docs/cli.md"), encoding: .utf8)
        for command in ["run", "check", "exec", "events", "shell", "schema"] {
            #expect(page.contains("\n## qmpbook \(command)\n"), "Docs/cli.md has no section for \(command)")
            let help = try await runProgram(try Executables.qmpbook, [command, "--help"])
            #expect(help.status == 0)
            let options = help.standardOutput.components(separatedBy: "OPTIONS:").last ?? ""
            let flags = Set(options.matches(of: /(?m)^\s+(?:-[a-z], )?(--[a-z][a-z-]*)/).map { String($0.1) })
            #expect(!flags.isEmpty)
            for flag in flags.subtracting(["--help", "--version"]).sorted() {
                #expect(page.contains("`\(flag)"), "Docs/cli.md does not describe \(command) \(flag)")
            }
        }
        for code in ["0", "1", "2", "3", "130", "143"] {
            #expect(page.contains("\n| \(code) |"), "Docs/cli.md's exit status table has no row for \(code)")
        }
    }

    /// Runs `playbook` and returns its report.
    static func report(of playbook: String) async throws -> JSONValue {
        let workspace = try Workspace()
        let output = try await workspace.shell("qmpbook run \(playbook) --report report.json --quiet")
        #expect(output.status == 0, "\(output.standardError)")
        return try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: workspace.folder.file("report.json")))))
    }

    static func lines(_ text: String) -> [String] {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// A progress line with what changes from run to run replaced: durations, pids, QEMU's version.
    static func normalized(_ line: String) -> String {
        line.replacing(/\d+(\.\d+)?(µs|ms|s)\b/, with: "DURATION")
            .replacing(/pid \d+/, with: "pid PID")
            .replacing(/QEMU \d+\.\d+\.\d+( \([^)]*\))? \(/, with: "QEMU VERSION (")
    }
}

/// The repository this test file is in.
enum Repository {
    static func path(_ relative: String) -> String {
        ShippedPlaybooks.repository.appendingPathComponent(relative).path
    }
}

/// A scratch folder standing in for the repository's top folder: `Playbooks`
/// links to the real one, and reports and other files land in the scratch folder.
final class Workspace: Sendable {
    let folder: TemporaryDirectory

    init() throws {
        folder = try TemporaryDirectory(prefix: "docs")
        try FileManager.default.createSymbolicLink(
            atPath: folder.file("Playbooks"), withDestinationPath: ShippedPlaybooks.folder.path)
    }

    deinit {
        folder.remove()
    }

    /// Runs `command` with `/bin/sh` in the folder, the built qmpbook first on PATH.
    func shell(_ command: String) async throws -> ProgramOutput {
        let binary = URL(fileURLWithPath: try Executables.qmpbook).deletingLastPathComponent().path
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return try await runProgram(
            "/usr/bin/env",
            ["PATH=\(binary):\(path)", "/bin/sh", "-c", "cd '\(folder.path)' && \(command)"],
            timeout: .seconds(120))
    }
}

/// The fields of a report as paths (`steps[].request.fd.path`); the contents
/// of arguments, responses and event data are QEMU's, not the report's.
enum ReportFields {
    static func paths(of value: JSONValue) -> Set<String> {
        var paths: Set<String> = []
        collect(value, prefix: "", into: &paths)
        return paths
    }

    private static func collect(_ value: JSONValue, prefix: String, into paths: inout Set<String>) {
        switch value {
        case .object(let object):
            for (key, member) in object.members {
                let path = prefix.isEmpty ? key : "\(prefix).\(key)"
                paths.insert(path)
                if !["arguments", "response", "data"].contains(key) {
                    collect(member, prefix: path, into: &paths)
                }
            }
        case .array(let elements):
            for element in elements { collect(element, prefix: prefix + "[]", into: &paths) }
        default:
            break
        }
    }
}

/// The fenced code blocks of a Markdown page, with the marker comment before each.
struct MarkdownPage {
    struct Block {
        var language: String
        var lines: [String]
        /// The text of an `<!-- … -->` comment on the line before the fence.
        var marker: String?
        /// The 1-based line of the opening fence.
        var line: Int

        /// `PATH` of a marker `NAME: PATH`.
        func argument(of name: String) -> String? {
            guard let marker, marker.hasPrefix(name + ":") else { return nil }
            return marker.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
        }
    }

    var blocks: [Block] = []

    init(_ page: String) throws {
        let lines = DocsTests.lines(try String(contentsOfFile: Repository.path(page), encoding: .utf8))
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix("```") else {
                index += 1
                continue
            }
            let language = String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces)
            var marker: String?
            if index > 0, let comment = lines[index - 1].firstMatch(of: /^<!--\s*(.*?)\s*-->$/) {
                marker = String(comment.1)
            }
            var body: [String] = []
            index += 1
            while index < lines.count, lines[index] != "```" {
                body.append(lines[index])
                index += 1
            }
            blocks.append(Block(language: language, lines: body, marker: marker, line: index - body.count))
            index += 1
        }
    }

    /// GitHub's anchors for the headings of `text`: lower case, spaces to dashes, punctuation dropped.
    static func anchors(in text: String) -> Set<String> {
        var anchors: Set<String> = []
        for line in text.components(separatedBy: "\n") where line.hasPrefix("#") {
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
            let kept = title.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == " " || $0 == "-" || $0 == "_" }
            anchors.insert(String(String.UnicodeScalarView(kept)).replacingOccurrences(of: " ", with: "-"))
        }
        return anchors
    }
}

extension Array where Element == String {
    /// Whether `run` appears in this array as consecutive elements.
    func containsRun(_ run: [String]) -> Bool {
        guard !run.isEmpty, run.count <= count else { return run.isEmpty }
        return (0...(count - run.count)).contains { start in Array(self[start..<(start + run.count)]) == run }
    }
}
