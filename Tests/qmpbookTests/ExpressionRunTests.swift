import Foundation
import QEMUTestSupport
import QMP
import Testing

/// Expressions and the §8.4 pattern operators in a real run against a QEMU qmpbook launches.
@Suite(.timeLimit(.minutes(2))) struct ExpressionRunTests {
    @Test func expressionsComputeAndNewOperatorsMatch() async throws {
        let fixture = try RunFixture("""
            name: expressions
            vars: {base: 1073741824, dev: tablet}
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
                register: status
              - name: computed
                log: "${base + 1073741824} ${status.return.status == 'prelaunch' and not status.return.running} ${dev + '0'} ${len(keys(status.return)) > 1}"
              - name: built-ins
                log: "run ${run.id} started ${run.started}"
              - name: operators
                execute: query-status
                expect: {return: {status: {$or: [prelaunch, paused], $len: {$gt: 3, $lt: 20}}, running: {$not: true}}}
              - execute: device_add
                arguments: {driver: usb-tablet, id: "${dev + str(1 + 1)}"}
              - execute: qom-list
                arguments: {path: "/machine/peripheral"}
                expect: {return: {$contains: {name: tablet2}, $all: {type: {$regex: "^(child<|link<|string$)"}}}}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)\(outcome.standardOutput)")
        let computed = try #require(outcome.report.step("computed"))
        #expect(computed["response"] == "2147483648 true tablet0 true", "\(computed.jsonText)")
        let builtins = try #require(outcome.report.step("built-ins")?["response"]?.stringValue)
        let words = builtins.split(separator: " ")
        #expect(words.count == 4 && words[1].count == 16 && words[3].count == 20 && words[3].hasSuffix("Z"), "\(builtins)")
        for pid in outcome.report.launchedPIDs { #expect(!processExists(pid)) }
    }

    @Test func aTypeErrorFailsTheStepNamingTheExpression() async throws {
        let fixture = try RunFixture("""
            name: type error
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
                register: status
              - name: bad sum
                log: "${status.return.status + 1}"
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1, "\(outcome.standardError)\(outcome.standardOutput)")
        #expect(outcome.report.statuses == ["passed", "failed"])
        let step = try #require(outcome.report.step("bad sum")).jsonText
        #expect(step.contains(#"'${status.return.status + 1}': '+' takes two numbers, two texts or two lists, not a text (\"prelaunch\") and an integer (1)"#),
                "\(step)")
    }

    @Test func aNewOperatorMismatchSaysWhichKeyAndWhatCameBack() async throws {
        let fixture = try RunFixture("""
            name: mismatch
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - name: not prelaunch
                execute: query-status
                expect: {return: {status: {$not: prelaunch}}}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1, "\(outcome.standardError)\(outcome.standardOutput)")
        let step = try #require(outcome.report.step("not prelaunch")).jsonText
        #expect(step.contains(#"at status: expected a value not matching \"prelaunch\" but found \"prelaunch\""#), "\(step)")
    }
}
