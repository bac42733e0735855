import Foundation
import QEMUTestSupport
import QMP
import Testing

/// What bounds a step, through the built binary: a sleep is as long as it
/// says (only the playbook deadline cuts it), and an `until` whose interval
/// exceeds its timeout is a check error.
@Suite(.timeLimit(.minutes(2)))
struct StepBudgetTests {
    @Test func aSleepLongerThanItsTimeoutPasses() async throws {
        let fixture = try RunFixture("""
            name: sleepy
            targets:
              vm:
                launch: \(RunFixture.qemu)
            defaults: {timeout: 100ms}
            steps:
              - sleep: 400ms
                timeout: 50ms
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed"])
    }

    @Test func thePlaybookDeadlineCutsASleepShortAsATimeout() async throws {
        let fixture = try RunFixture("""
            name: sleepy
            timeout: 2s
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - sleep: 30s
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 1)
        #expect(outcome.report.statuses == ["timeout"])
        #expect(outcome.report.step("sleep 30s")?["message"]?.stringValue?.contains("the playbook's deadline of 2s passed") == true,
                "\(outcome.report.step("sleep 30s")?["message"] ?? .null)")
    }

    @Test func anIntervalLongerThanTheTimeoutIsACheckError() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("poll.yaml")
        try """
            name: poll
            targets: {vm: {connect: /nonexistent/qmp.sock}}
            steps:
              - execute: query-status
                until: {running: true}
                interval: 5s
                timeout: 2s
              - command: [sh, -c, "exit 1"]
                until: {exit: 0}
                timeout: 1s
                interval: 1500ms
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let output = try await runProgram(try Executables.qmpbook, ["check", path])
        #expect(output.status == 2)
        #expect(output.standardError.contains(
            "poll.yaml:6:15: interval 5s is longer than the step's timeout of 2s, so until could try only once; shorten interval or raise timeout"),
            "\(output.standardError)")
        #expect(output.standardError.contains("poll.yaml:11:15: interval 1.5s is longer than the step's timeout of 1s"),
                "\(output.standardError)")
    }
}
