import Foundation
import QEMUTestSupport
import QMP
import Testing

/// `qmpbook check --format json`: the problems as one JSON document on stdout
/// (file, line, column, message, hint), for editors and CI annotations.
@Suite(.timeLimit(.minutes(2))) struct CheckJSONTests {
    static let header = "name: t\ntargets:\n  vm: {connect: /tmp/q.sock}\nsteps:\n"

    static func write(_ text: String, named name: String, in folder: TemporaryDirectory) throws -> String {
        let path = folder.file(name)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    @Test func everyProblemOfEveryPlaybookIsAnObjectWithItsPlaceAndHint() async throws {
        let folder = try TemporaryDirectory(prefix: "checkjson")
        let first = try Self.write(Self.header + "  - execute: x\n    argumnts: {}\n", named: "a.yaml", in: folder)
        let second = try Self.write(Self.header + "  - log: \"${nope}\"\n", named: "b.yaml", in: folder)
        let outcome = try await CheckCommandRunner.run(["check", first, second, "--format", "json"])
        #expect(outcome.status == 2)
        let document = try JSONValue(parsing: outcome.standardOutput)
        #expect(document["format"] == "qmpbook-check/1")
        #expect(document["ok"] == false)
        #expect(document["playbooks"] == 2)
        let problems = try #require(document["problems"]?.arrayValue)
        #expect(problems.count == 2)
        let unknown = try #require(problems.first)
        #expect(unknown["file"]?.stringValue == first)
        #expect(unknown["line"] == 6)
        #expect(unknown["column"] == 5)
        #expect(unknown["hint"] == "did you mean 'arguments'?")
        #expect(unknown["message"]?.stringValue?.contains("unknown key 'argumnts'") == true)
        #expect(unknown["message"]?.stringValue?.contains("did you mean") == false)
        #expect(problems[1]["file"]?.stringValue == second)
        #expect(problems[1]["line"] == 5)
        #expect(problems[1]["hint"] == .null)
        // stderr keeps the one-line summary; the problems are in the document only.
        #expect(outcome.standardError == "qmpbook: 2 problems in 2 of 2 playbooks\n")
    }

    @Test func aValidPlaybookIsAnEmptyList() async throws {
        let outcome = try await CheckCommandRunner.run(
            ["check", CheckCommandTests.repository("Playbooks/usb-hotplug.yaml"), "--format", "json"])
        #expect(outcome.status == 0)
        let document = try JSONValue(parsing: outcome.standardOutput)
        #expect(document["ok"] == true)
        #expect(document["problems"] == [])
        #expect(outcome.standardError.isEmpty)
    }

    @Test func anUnreadableFileIsAProblemWithoutAPosition() async throws {
        let outcome = try await CheckCommandRunner.run(["check", "/nonexistent/book.yaml", "--format", "json"])
        #expect(outcome.status == 2)
        let problem = try #require(try JSONValue(parsing: outcome.standardOutput)["problems"]?[0])
        #expect(problem["message"]?.stringValue?.isEmpty == false)
        for key in ["file", "line", "column", "message", "hint"] { #expect(problem[key] != nil, "missing \(key)") }
    }

    @Test func anUnknownFormatIsABadInvocation() async throws {
        let outcome = try await CheckCommandRunner.run(["check", "x.yaml", "--format", "xml"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("--format"), "\(outcome.standardError)")
        #expect(outcome.standardError.contains("text") && outcome.standardError.contains("json"))
    }

    @Test func livePreflightProblemsAreInTheDocumentToo() async throws {
        let folder = try TemporaryDirectory(prefix: "checkjson")
        let path = try Self.write("""
            name: live
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-stauts
            """, named: "live.yaml", in: folder)
        let outcome = try await CheckCommandRunner.run(["check", path, "--live", "--format", "json"])
        #expect(outcome.status == 2, "\(outcome.standardError)")
        let problem = try #require(try JSONValue(parsing: outcome.standardOutput)["problems"]?[0])
        #expect(problem["line"] == 5)
        #expect(problem["column"] == 5)
        #expect(problem["hint"] == "did you mean 'query-status'?")
        #expect(problem["message"]?.stringValue?.hasPrefix("target vm: ") == true)
    }
}
