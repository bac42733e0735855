import Foundation
import QEMUTestSupport
import Testing

/// The manual page (`Docs/man/qmpbook.1`, made by swift-argument-parser's
/// generate-manual plugin through `Docs/man/generate.sh`): it renders with
/// `man -l` without warnings, and it is current — every subcommand and every
/// option the command line defines (its `--experimental-dump-help`, the same
/// description the plugin reads) is in it.
@Suite(.timeLimit(.minutes(1))) struct ManualPageTests {
    static let page = Repository.path("Docs/man/qmpbook.1")

    @Test func rendersWithManWithoutWarnings() async throws {
        let output = try await runProgram(
            "/usr/bin/man", ["--warnings", "-l", Self.page], environment: ["MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat"])
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardError.isEmpty, "\(output.standardError)")
        // Words as a reader sees them, whatever the line breaks.
        let text = output.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("qmpbook — Run declarative QMP playbooks against QEMU."), "\(text)")
        #expect(text.contains("Exit status: 0 passed, 1 a step failed"), "\(text)")
    }

    @Test func namesEverySubcommandAndOption() async throws {
        let dump = try await runProgram(try Executables.qmpbook, ["--experimental-dump-help"])
        #expect(dump.status == 0)
        let help = try #require(try JSONSerialization.jsonObject(with: Data(dump.standardOutput.utf8)) as? [String: Any])
        let root = try #require(help["command"] as? [String: Any])
        // mdoc names an option on an `.It Fl …` (or `.Op Fl …`) line: `Fl -report Ar PATH`, `Fl h , -help`.
        let optionLines = try String(contentsOfFile: Self.page, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix(".It Fl") || $0.hasPrefix(".Op Fl") }
            .map { " " + $0.replacingOccurrences(of: ",", with: " ") + " " }
        let page = try String(contentsOfFile: Self.page, encoding: .utf8)
        var missing: [String] = []
        func visit(_ command: [String: Any], path: String) {
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                guard argument["shouldDisplay"] as? Bool ?? true else { continue }
                for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                    let long = name["name"] as? String ?? ""
                    if !optionLines.contains(where: { $0.contains(" -\(long) ") }) {
                        missing.append("\(path) --\(long)")
                    }
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                let name = sub["commandName"] as? String ?? ""
                if !page.contains("\n.It Em \(name)\n") { missing.append("\(path) \(name)") }
                visit(sub, path: "\(path) \(name)")
            }
        }
        visit(root, path: "qmpbook")
        #expect(missing.isEmpty, "Docs/man/qmpbook.1 is stale (run Docs/man/generate.sh); missing: \(missing)")
    }
}
