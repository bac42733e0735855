import Foundation
import QEMUTestSupport
import Testing

/// Small slips in what qmpbook says, through the built binary: counts agree
/// with their nouns, articles with their words, and a quoted version says why.
@Suite(.timeLimit(.minutes(2)))
struct MessageWordingTests {
    private static func write(_ text: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.file("wording.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aQuotedVersionSaysToWriteTheNumber() async throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write("""
            name: wording
            version: "1"
            targets: {vm: {connect: /nonexistent/qmp.sock}}
            steps:
              - execute: query-status
            """, in: directory)
        let output = try await runProgram(try Executables.qmpbook, ["check", path])
        #expect(output.status == 2)
        #expect(output.standardError.contains(
            "wording.yaml:2:10: version must be the number 1, not the text \"1\": write version: 1 without quotes"),
            "\(output.standardError)")
    }

    @Test func aKeyOfAnotherActionTakesTheRightArticle() async throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write("""
            name: wording
            targets: {vm: {connect: /nonexistent/qmp.sock}}
            steps:
              - execute: query-status
                match: {a: 1}
              - wait-event: STOP
                fd: {path: x}
            """, in: directory)
        let output = try await runProgram(try Executables.qmpbook, ["check", path])
        #expect(output.status == 2)
        #expect(output.standardError.contains("wording.yaml:5:5: 'match' does not apply to an execute step"), "\(output.standardError)")
        #expect(output.standardError.contains("wording.yaml:7:5: 'fd' does not apply to a wait-event step"), "\(output.standardError)")
    }

    @Test func oneStepIsOneStepNotOneSteps() async throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write("""
            name: wording
            targets: {vm: {connect: /nonexistent/qmp.sock, timeout: 100ms}}
            steps:
              - execute: query-status
            """, in: directory)
        let check = try await runProgram(try Executables.qmpbook, ["check", path])
        #expect(check.status == 0)
        #expect((check.standardOutput + check.standardError).contains("ok (1 step, 1 target)"), "\(check.standardOutput)")
        let run = try await runProgram(
            try Executables.qmpbook, ["run", path, "--report", directory.file("r.json"), "--color", "never"])
        #expect(run.status == 3)
        // The progress lines (stdout here) end with the summary.
        #expect(run.standardOutput.contains("wording: error, 1 step ("), "\(run.standardOutput)")
        #expect(!run.standardOutput.contains("1 steps"), "\(run.standardOutput)")
    }
}
