import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

/// Where `qmpbook run` writes its outputs, through the built binary: what is
/// not a regular file is written through (never renamed over), a symbolic
/// link keeps being a link, an output that would overwrite the playbook or
/// another output is refused before anything starts, and a `--jsonl` stream
/// that cannot be written is exit 3 with a message.
@Suite(.timeLimit(.minutes(3)))
struct OutputFileTests {
    static let passing = """
        name: outputs
        targets:
          vm: {launch: \(RunFixture.qemu)}
        steps:
          - execute: query-status
        """

    /// Runs `qmpbook ARGUMENTS` through `sh -c SCRIPT`, where the script
    /// calls `"$QMPBOOK"` (for redirections a test needs: `3>file`, `>&-`).
    static func shell(_ script: String, in fixture: RunFixture) async throws -> ProgramOutput {
        try await runProgram(
            "/bin/sh", ["-c", script], environment: ["QMPBOOK": try Executables.qmpbook, "BOOK": fixture.playbook],
            timeout: .seconds(60))
    }

    static func kind(_ path: String) -> System.FileKind? {
        try? System.fileKind(atPath: path).get()
    }

    @Test func devicesFIFOsDescriptorsAndLinksAreWrittenThroughNeverReplaced() async throws {
        let fixture = try RunFixture(Self.passing)
        let real = fixture.folder.file("real")
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try "old".write(toFile: real + "/report.json", atomically: false, encoding: .utf8)
        chmod(real + "/report.json", 0o640)
        try FileManager.default.createSymbolicLink(atPath: fixture.folder.file("link.json"), withDestinationPath: "real/report.json")
        let fifo = fixture.folder.file("html.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let folder = fixture.folder.path
        let output = try await Self.shell("""
            cd '\(folder)' && cat html.fifo > html.out & \
            cd '\(folder)' && "$QMPBOOK" run "$BOOK" --report link.json --html html.fifo --junit /dev/fd/3 \
              --jsonl /dev/null 3>junit.xml; status=$?; wait; exit $status
            """, in: fixture)
        #expect(output.status == 0, "\(output.standardError)")
        // The link is still a link, its target holds the report and kept its permissions.
        #expect(Self.kind(fixture.folder.file("link.json")) == .symbolicLink)
        let report = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: real + "/report.json"))))
        #expect(report["outcome"] == "passed")
        #expect(try System.status(atPath: real + "/report.json").get().permissions == 0o640)
        // No temporary file is left next to the target, nor next to the link.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: real) + FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(!leftovers.contains { $0.contains(".tmp-") }, "\(leftovers)")
        #expect(Self.kind(fifo) == .fifo)
        #expect(try fixture.read("html.out").contains("<html"))
        #expect(try fixture.read("junit.xml").contains("<testsuite"))
        #expect(Self.kind("/dev/null") == .characterDevice)
    }

    @Test func aDescriptorThatIsAFileOpenedForAppendingIsAppendedTo() async throws {
        let fixture = try RunFixture(Self.passing)
        try "kept\n".write(toFile: fixture.folder.file("log"), atomically: false, encoding: .utf8)
        let output = try await Self.shell("""
            cd '\(fixture.folder.path)' && "$QMPBOOK" run "$BOOK" --quiet --report /dev/stdout >>log
            """, in: fixture)
        #expect(output.status == 0, "\(output.standardError)")
        let log = try fixture.read("log")
        #expect(log.hasPrefix("kept\n"), "\(log)")
        #expect(log.contains("\"outcome\" : \"passed\"") || log.contains("\"outcome\": \"passed\""), "\(log)")
    }

    @Test(arguments: ["--report", "--junit", "--html", "--jsonl"])
    func anOutputThatIsThePlaybookIsRefusedBeforeAnythingStarts(option: String) async throws {
        let fixture = try RunFixture(Self.passing)
        try FileManager.default.createSymbolicLink(atPath: fixture.folder.file("alias.yaml"), withDestinationPath: "book.yaml")
        let before = try fixture.read("book.yaml")
        let output = try await runProgram(
            try Executables.qmpbook, ["run", fixture.playbook, option, fixture.folder.file("alias.yaml")]
                + (option == "--report" ? [] : ["--report", fixture.reportPath]))
        #expect(output.status == 2)
        #expect(output.standardError.contains("\(option) \(fixture.folder.file("alias.yaml")): that is the playbook; an output must not overwrite it"),
                "\(output.standardError)")
        #expect(try fixture.read("book.yaml") == before)
        #expect(!FileManager.default.fileExists(atPath: fixture.reportPath), "nothing ran, so no report")
    }

    @Test func twoOutputsOnOneFileAreRefused() async throws {
        let fixture = try RunFixture(Self.passing)
        let report = fixture.reportPath
        try FileManager.default.createSymbolicLink(atPath: fixture.folder.file("same.json"), withDestinationPath: "report.json")
        // Not yet there: the same path after resolving the link.
        var output = try await runProgram(
            try Executables.qmpbook, ["run", fixture.playbook, "--report", report, "--junit", fixture.folder.file("same.json")])
        #expect(output.status == 2)
        #expect(output.standardError.contains(
            "--report \(report) and --junit \(fixture.folder.file("same.json")) are the same file: give each output its own path"),
                "\(output.standardError)")
        #expect(!FileManager.default.fileExists(atPath: report))
        // Stdout twice, once as `-` and once by its name.
        output = try await runProgram(
            try Executables.qmpbook, ["run", fixture.playbook, "--report", "-", "--html", "/dev/stdout"])
        #expect(output.status == 2)
        #expect(output.standardError.contains("--report - and --html /dev/stdout are the same file"), "\(output.standardError)")
        // A character device takes several outputs: nothing is lost there.
        output = try await runProgram(
            try Executables.qmpbook, ["run", fixture.playbook, "--report", "/dev/null", "--junit", "/dev/null", "--quiet"])
        #expect(output.status == 0, "\(output.standardError)")
    }

    @Test func aJSONLinesStreamThatCannotBeWrittenIsExit3WithAMessage() async throws {
        let fixture = try RunFixture(Self.passing)
        let output = try await fixture.run(["--jsonl", "/dev/full"])
        #expect(output.status == 3)
        #expect(output.standardError.contains("qmpbook: cannot write /dev/full: write: No space left on device"), "\(output.standardError)")
        #expect(output.report["outcome"] == "passed", "the run itself passed; its stream did not")
    }

    @Test func aJSONLinesStreamToAClosedStdoutIsExit3WithAMessage() async throws {
        let fixture = try RunFixture(Self.passing)
        let output = try await Self.shell("""
            "$QMPBOOK" run "$BOOK" --report '\(fixture.reportPath)' --jsonl - >&-
            """, in: fixture)
        #expect(output.status == 3)
        #expect(output.standardError.contains("qmpbook: cannot write to stdout: it is closed"), "\(output.standardError)")
        #expect(try fixture.readReport()["outcome"] == "passed")
    }
}
