import Foundation
import QEMUTestSupport
import QMP
import Testing

/// `set`, `assert`, `fail` and `when` (SPEC.md §8.2, §8.3) through the built
/// binary against a real QEMU, and what `check` says of them written wrong.
@Suite(.timeLimit(.minutes(2)))
struct ComputeStepTests {
    @Test func setAssertFailAndWhenRunAsWritten() async throws {
        let fixture = try RunFixture("""
            name: compute
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - execute: query-status
                register: status
              - set: {paused: "${status.return.status == 'prelaunch'}", tries: 3, more: "${tries + 1}"}
              - assert: "${paused and more == 4}"
              - name: guard
                when: "${not paused}"
                fail: "the VM should be paused"
              - name: never resumed
                when: false
                execute: cont
              - log: "tries=${tries}"
              - name: enough tries
                assert: "${tries > 5}"
                message: "only ${tries} tries"
              - log: after
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 1, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed", "passed", "skipped", "skipped", "passed", "failed", "skipped"])
        #expect(outcome.report.step("set paused, tries, more")?["response"] == ["paused": true, "tries": 3, "more": 4])
        #expect(outcome.report.step("guard")?["message"] == "not run: when ${not paused} is false")
        #expect(outcome.report.step("tries=3") == nil)
        #expect(outcome.report.step("log")?["response"] == "tries=3")
        #expect(outcome.report.step("enough tries")?["message"] == "only 3 tries")
        #expect(outcome.report.step("enough tries")?["action"] == "assert")
        #expect(outcome.standardError.contains("qmpbook: step 7 (enough tries) failed: only 3 tries")
                || outcome.standardError.contains("only 3 tries"), "\(outcome.standardError)")
    }

    @Test func anAssertionThatIsNotABooleanSaysWhatCameBack() async throws {
        let fixture = try RunFixture("""
            name: compute
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - set: {tries: 3}
              - assert: "${tries}"
              - fail: "never reached"
            always:
              - when: true
                fail: "cleanup says no"
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 1)
        #expect(outcome.report.statuses == ["passed", "failed", "skipped", "failed"])
        #expect(outcome.report["steps"]?[1]?["message"] == "assert ${tries} gave an integer (3), not true or false")
        #expect(outcome.report["steps"]?[3]?["message"] == "cleanup says no")
    }

    @Test func checkRefusesTheseStepsWrittenWrong() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("bad.yaml")
        try """
            name: bad
            targets: {vm: {connect: /nonexistent/qmp.sock}}
            steps:
              - assert: 42
              - set: [a, b]
              - set: {env: 1}
              - when: "yes"
                log: x
              - execute: query-status
                message: hello
              - log: "${later}"
              - set: {later: 1}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let output = try await runProgram(try Executables.qmpbook, ["check", path])
        #expect(output.status == 2)
        let expected = [
            "bad.yaml:4:13: assert must be true, false or a \"${…}\" expression that gives one, not an integer",
            "bad.yaml:5:10: set must be a map, not a list",
            "bad.yaml:6:11: 'env' is a built-in name; set another name",
            "bad.yaml:7:11: when must be true, false or a \"${…}\" expression that gives one, not the text 'yes'",
            "bad.yaml:10:5: 'message' does not apply to an execute step",
            "bad.yaml:11:13: undefined variable 'later'",
        ]
        for line in expected {
            #expect(output.standardError.contains(line), "missing: \(line)\n\(output.standardError)")
        }
    }
}
