import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

/// The schema preflight before the first step.
@Suite(.timeLimit(.minutes(2))) struct RunPreflightTests {
    static let playbook = """
        name: preflight
        targets:
          vm: {launch: \(RunFixture.qemu)}
        steps:
          - execute: cont
          - execute: migrate-set-capabilities
            arguments:
              capabilities:
                - {capability: auto-converj, state: true}
          - wait-event: DEVICE_DELETD
        always:
          - execute: query-status
        """

    @Test func problemsStopTheRunBeforeAnythingIsSent() async throws {
        let fixture = try RunFixture(Self.playbook)
        let outcome = try await fixture.run()
        #expect(outcome.status == 2)
        #expect(outcome.report["outcome"] == "error")
        #expect(outcome.report["exit_code"] == 2)
        // Nothing ran, not even `cont` or the always step.
        #expect(outcome.report.statuses == ["skipped", "skipped", "skipped", "skipped"])
        // `cont` was never sent: no RESUME, only the SHUTDOWN of qmpbook's own `quit`.
        #expect(outcome.report["events"]?.arrayValue?.compactMap { $0["event"]?.stringValue } == ["SHUTDOWN"])
        let lines = outcome.standardError.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("book.yaml:9:") && $0.contains("did you mean 'auto-converge'") },
                "\(outcome.standardError)")
        #expect(lines.contains { $0.contains("book.yaml:10:") && $0.contains("DEVICE_DELETED") },
                "\(outcome.standardError)")
        for pid in outcome.report.launchedPIDs { #expect(!processExists(pid)) }
    }

    @Test func noPreflightSendsTheStepsAsWritten() async throws {
        let fixture = try RunFixture(Self.playbook)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 1)
        #expect(outcome.report.statuses == ["passed", "failed", "skipped", "passed"])
        #expect(outcome.report["steps"]?[1]?["message"]?.stringValue?.contains("GenericError") == true)
    }
}
