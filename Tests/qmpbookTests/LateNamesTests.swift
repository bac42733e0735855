import Foundation
import QEMUTestSupport
import QMP
import Testing

/// `${…}` in `execute`, `wait-event` and a step's `target` (SPEC.md §8.1):
/// resolved just before the step, through the built binary with real QEMUs.
@Suite(.timeLimit(.minutes(2)))
struct LateNamesTests {
    @Test func commandEventAndTargetNamesComeFromExpressions() async throws {
        let fixture = try RunFixture("""
            name: late
            vars: {pause: stop, paused: STOP}
            targets:
              src: {launch: \(RunFixture.qemu)}
              dst: {launch: \(RunFixture.qemu)}
            steps:
              - execute: cont
                target: src
              - set: {side: "${'s' + 'rc'}"}
              - execute: "${pause}"
                target: "${side}"
              - wait-event: "${paused}"
                target: "${side}"
              - execute: query-status
                target: "${side}"
                expect: {return: {running: false}}
              - execute: "${'query-' + 'status'}"
                target: "${'nowhere'}"
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed", "passed", "passed", "passed", "failed"])
        #expect(outcome.report["steps"]?[5]?["message"]
                == "target ${'nowhere'} gave \"nowhere\", which is not a target of the playbook (src, dst)")
    }

    @Test func aNameThatIsNotTextFailsTheStepSayingWhatCameBack() async throws {
        let fixture = try RunFixture("""
            name: late
            vars: {n: 42}
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: "${n}"
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        #expect(outcome.report["steps"]?[0]?["message"] == "execute ${n} gave an integer (42), not a name")
    }
}
