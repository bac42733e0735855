import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

/// `autostart: false`, `start` and `stop` (SPEC.md §7.2) through the built
/// binary against real QEMU: exit codes, step statuses and messages, the
/// report's instances, and no QEMU left behind.
@Suite(.timeLimit(.minutes(3))) struct LifecycleTests {
    static let qemu = "[qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S]"

    /// Every QEMU the report says was launched is gone.
    private func expectNoQEMULeft(_ report: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!report.launchedPIDs.isEmpty, "the report names no launched QEMU", sourceLocation: sourceLocation)
        for pid in report.launchedPIDs {
            #expect(!processExists(pid), "QEMU \(pid) is still running", sourceLocation: sourceLocation)
        }
    }

    private func instances(_ report: JSONValue, _ target: String) -> [JSONValue] {
        report.target(target)?["instances"]?.arrayValue ?? []
    }

    @Test func anAutostartFalseTargetOpensAtItsFirstStartStep() async throws {
        let fixture = try RunFixture("""
            name: late start
            targets:
              vm: {launch: \(Self.qemu), autostart: false}
            steps:
              - name: too early
                execute: query-status
                ignore-errors: true
              - start: vm
              - name: now it answers
                execute: query-status
                expect: {return: {status: prelaunch}}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["ignored", "passed", "passed"])
        #expect(outcome.report.step("too early")?["message"]
                == "target vm is not started: it has autostart: false and no start step has opened it yet; a start step opens it")
        let start = try #require(outcome.report.step("start vm"))
        #expect(start["action"] == "start")
        #expect(start["target"] == "vm")
        #expect(start["request"] == ["start": "vm"])
        #expect(start["response"]?["qemu"]?["major"]?.intValue ?? 0 >= 2)
        let list = instances(outcome.report, "vm")
        #expect(list.count == 1)
        #expect(list.first?["pid"] == start["response"]?["pid"])
        #expect(list.first?["stopped"] == .null)
        #expect(list.first?["exit_status"] == 0, "the end of the run stops it with quit")
        expectNoQEMULeft(outcome.report)
    }

    @Test func aStepOnATargetThatIsNotStartedFailsTheRunWithExit1() async throws {
        let fixture = try RunFixture("""
            name: never started
            targets:
              vm: {launch: \(Self.qemu), autostart: false}
            steps:
              - execute: query-status
              - log: never
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        #expect(outcome.report.statuses == ["failed", "skipped"])
        #expect(outcome.report["outcome"] == "failed")
        #expect(outcome.report["message"]?.stringValue?.hasSuffix(
            "failed: target vm is not started: it has autostart: false and no start step has opened it yet; a start step opens it") == true,
                "\(outcome.report["message"] ?? .null)")
        #expect(instances(outcome.report, "vm").isEmpty, "no QEMU was launched")
        #expect(outcome.report.target("vm")?["process"] == .null)
        #expect(outcome.report.target("vm")?["error"] == .null)
    }

    @Test func stopQuitKillAndWaitEachEndTheInstanceTheirWay() async throws {
        let fixture = try RunFixture("""
            name: three stops
            targets:
              vm: {launch: \(Self.qemu)}
            steps:
              - name: quit it
                stop: vm
                expect: {exit: 0, signal: null}
              - start: vm
              - name: kill it
                stop: vm
                how: kill
                expect: {exit: null, signal: SIGKILL}
              - start: vm
              - execute: quit
              - name: let it go
                stop: vm
                how: wait
                expect: {exit: 0}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed", "passed", "passed", "passed", "passed"])
        #expect(outcome.report.step("quit it")?["request"] == ["stop": "vm", "how": "quit"])
        #expect(outcome.report.step("kill it")?["response"]?["signal"] == "SIGKILL")
        #expect(outcome.report.step("let it go")?["response"]?["exit"] == 0)
        let list = instances(outcome.report, "vm")
        #expect(list.count == 3)
        #expect(list.map { $0["exit_status"] } == [0, .null, 0])
        #expect(list.map { $0["signal"] } == [.null, "SIGKILL", .null])
        #expect(list.allSatisfy { $0["stopped"]?.stringValue != nil })
        #expect(Set(list.compactMap { $0["pid"]?.intValue }).count == 3, "three QEMUs")
        // The Part 1 fields describe the last instance.
        #expect(outcome.report.target("vm")?["process"]?["pid"] == list.last?["pid"])
        expectNoQEMULeft(outcome.report)
    }

    @Test func aWaitThatRunsOutIsAStepTimeoutAndTheQEMUIsStoppedAtTheEnd() async throws {
        let fixture = try RunFixture("""
            name: waits in vain
            targets:
              vm: {launch: \(Self.qemu)}
            steps:
              - name: wait for an exit that never comes
                stop: vm
                how: wait
                timeout: 500ms
              - log: never
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        #expect(outcome.report.statuses == ["timeout", "skipped"])
        #expect(outcome.report.step("wait for an exit that never comes")?["message"]
                == "target vm's QEMU did not exit on its own within 500ms")
        let list = instances(outcome.report, "vm")
        #expect(list.count == 1)
        #expect(list.first?["exit_status"] == 0, "still open, so the end of the run quit it")
        expectNoQEMULeft(outcome.report)
    }

    @Test func aRestartGetsAFreshEventLogAndASecondInstance() async throws {
        let fixture = try RunFixture("""
            name: restart
            targets:
              vm: {launch: \(Self.qemu)}
            steps:
              - execute: cont
              - name: first RESUME
                wait-event: RESUME
              - stop: vm
              - start: vm
              - name: the first instance's events are gone
                wait-event: [RESUME, SHUTDOWN]
                timeout: 300ms
                ignore-errors: true
              - id: again
                execute: cont
              - name: the second instance's RESUME
                wait-event: RESUME
                since: again
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed", "passed", "passed", "ignored", "passed", "passed"])
        #expect(outcome.report.step("the first instance's events are gone")?["message"]
                == "no RESUME or SHUTDOWN event arrived on vm within 300ms; no other events arrived")
        let list = instances(outcome.report, "vm")
        #expect(list.count == 2)
        #expect(list[0]["pid"] != list[1]["pid"])
        #expect(list[0]["stopped"]?.stringValue != nil)
        // Both instances' events are in the report, under the target's name.
        let events = (outcome.report["events"]?.arrayValue ?? []).filter { $0["event"] == "RESUME" }
        #expect(events.count == 2)
        #expect(events.map { $0["taken_by"] } == [1, 6])
        expectNoQEMULeft(outcome.report)
    }

    @Test func startWithExpectPassesWhenQEMUFailsThatWayAndFailsWhenItComesUp() async throws {
        let fixture = try RunFixture("""
            name: must fail
            targets:
              bad: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S, -cpu, ""], autostart: false}
              good: {launch: \(Self.qemu), autostart: false}
            steps:
              - name: refused
                start: bad
                expect: {exit: 1, stderr: {$regex: "cpu option cannot be empty"}}
              - name: wrong status
                start: bad
                expect: {exit: 2}
                ignore-errors: true
              - name: comes up instead
                start: good
                expect: {exit: 1}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        #expect(outcome.report.statuses == ["passed", "ignored", "failed"])
        let refused = try #require(outcome.report.step("refused"))
        #expect(refused["response"]?["exit"] == 1)
        #expect(refused["response"]?["stderr"]?.stringValue?.contains("cpu option cannot be empty") == true)
        let wrong = outcome.report.step("wrong status")?["message"]?.stringValue ?? ""
        #expect(wrong.hasPrefix("QEMU exited with status 1, which does not match expect: "), "\(wrong)")
        #expect(wrong.contains("cpu option cannot be empty"), "\(wrong)")
        let up = outcome.report.step("comes up instead")?["message"]?.stringValue ?? ""
        #expect(up.hasPrefix("target good came up (QEMU "), "\(up)")
        #expect(up.hasSuffix(", but expect wanted it to fail to start with {\"exit\":1}"), "\(up)")
        #expect(instances(outcome.report, "bad").map { $0["exit_status"] } == [1, 1])
        #expect(instances(outcome.report, "bad").allSatisfy { $0["qemu"] == .null })
        #expect(outcome.report.target("bad")?["error"] == .null, "a start step's failure is the step's, not the target's")
        #expect(instances(outcome.report, "good").count == 1)
        expectNoQEMULeft(outcome.report)
    }

    @Test func aStartThatCannotOpenItsTargetWithoutExpectIsExit3() async throws {
        let fixture = try RunFixture("""
            name: broken start
            targets:
              bad: {launch: [qemu-system-x86_64, -M, no-such-machine, -display, none], autostart: false}
            steps:
              - start: bad
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 3)
        #expect(outcome.report.statuses == ["error"])
        let message = outcome.report.step("start bad")?["message"]?.stringValue ?? ""
        #expect(message.hasPrefix("target bad could not be started: QEMU exited with status 1 before its QMP socket answered"),
                "\(message)")
        expectNoQEMULeft(outcome.report)
    }

    @Test func aQEMUKilledFromOutsideIsStillALostTargetExit3() async throws {
        let fixture = try RunFixture("""
            name: killed
            targets:
              vm: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S, -pidfile, "${run.dir}/qemu.pid"]}
            steps:
              - name: kill it behind qmpbook's back
                command:
                  argv: [sh, -c, "kill -9 $(cat qemu.pid)"]
                  cwd: "${run.dir}"
              - name: the next step sees it gone
                execute: query-status
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 3, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "error"])
        let message = outcome.report.step("the next step sees it gone")?["message"]?.stringValue ?? ""
        #expect(message.hasPrefix("target vm was lost during query-status: QEMU was killed by SIGKILL"), "\(message)")
        #expect(outcome.report.target("vm")?["error"]?.stringValue?.hasPrefix("lost during the run: QEMU was killed by SIGKILL") == true)
        expectNoQEMULeft(outcome.report)
    }

    @Test func aStopWithHowWaitTakesAnExitFromOutside() async throws {
        let fixture = try RunFixture("""
            name: killed, then waited for
            targets:
              vm: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S, -pidfile, "${run.dir}/qemu.pid"]}
            steps:
              - command:
                  argv: [sh, -c, "kill -9 $(cat qemu.pid)"]
                  cwd: "${run.dir}"
              - name: wait for it
                stop: vm
                how: wait
                expect: {signal: SIGKILL}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed"])
        #expect(outcome.report.target("vm")?["error"] == .null, "the stop step took the exit: the target was not lost")
        expectNoQEMULeft(outcome.report)
    }

    @Test func quitThenStopIsCleanAndLaterStepsSayTheTargetIsNotStarted() async throws {
        let fixture = try RunFixture("""
            name: quit, then stop
            targets:
              vm: {launch: \(Self.qemu)}
            steps:
              - name: quit
                execute: quit
              - name: its SHUTDOWN still counts
                wait-event: SHUTDOWN
              - name: too late
                execute: query-status
                ignore-errors: true
              - stop: vm
              - name: stopped
                execute: query-status
                ignore-errors: true
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed", "ignored", "passed", "ignored"],
                "\(PlaybooksTests.failures(in: outcome.report))")
        #expect(outcome.report.step("too late")?["message"]
                == "target vm is not started: step 'quit' (line 5) told its QEMU to quit; a start step opens it")
        #expect(outcome.report.step("stopped")?["message"]
                == "target vm is not started: step 'stop vm' (line 12) stopped it; a start step opens it")
        #expect(outcome.report.step("stop vm")?["response"]?["exit"] == 0)
        #expect(instances(outcome.report, "vm").count == 1)
        #expect(outcome.report.target("vm")?["error"] == .null, "a QEMU told to quit was not lost")
        expectNoQEMULeft(outcome.report)
    }

    @Test func startOfAnOpenTargetIsAFailedStep() async throws {
        let fixture = try RunFixture("""
            name: twice
            targets:
              vm: {launch: \(Self.qemu)}
            steps:
              - start: vm
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        #expect(outcome.report.statuses == ["failed"])
        #expect(outcome.report.step("start vm")?["message"]
                == "target vm is already started (it opened at the start of the run); stop it first")
        #expect(instances(outcome.report, "vm").count == 1)
        expectNoQEMULeft(outcome.report)
    }

    @Test func aConnectTargetIsDisconnectedAndReconnectedWhileItsQEMURuns() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let fixture = try RunFixture("""
            name: reconnect
            targets:
              vm: {connect: "unix:\(qemu.socketPath)", autostart: false}
            steps:
              - start: vm
              - execute: query-status
              - name: let go
                stop: vm
                how: kill
              - start: vm
              - execute: query-status
              - name: let go again
                stop: vm
                how: kill
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed", "passed", "passed", "passed", "passed"])
        #expect(outcome.report.step("let go")?["response"] == ["exit": .null, "signal": .null, "stderr": .null])
        let list = instances(outcome.report, "vm")
        #expect(list.count == 2)
        #expect(list.allSatisfy { $0["pid"] == .null })
        #expect(qemu.isRunning, "a connect: target's QEMU is left running")
    }

    @Test func stopWithQuitOfAConnectTargetSendsQuit() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let fixture = try RunFixture("""
            name: quit a connected QEMU
            targets:
              vm: {connect: "unix:\(qemu.socketPath)"}
            steps:
              - stop: vm
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(await qemu.waitForExit(timeout: .seconds(10)), "stop with how: quit sends quit")
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var label: String
        var steps: String
        var line: Int
        var column: Int
        var message: String
        var testDescription: String { label }
    }

    static let badInputs = [
        BadInput(label: "unknown target in start", steps: "  - start: wm\n", line: 5, column: 12,
                 message: "undefined target 'wm' (did you mean 'vm'?); targets: vm"),
        BadInput(label: "unknown target in stop", steps: "  - stop: mv\n", line: 5, column: 11,
                 message: "undefined target 'mv' (did you mean 'vm'?); targets: vm"),
        BadInput(label: "how: nope", steps: "  - stop: vm\n    how: nope\n", line: 6, column: 10,
                 message: "how must be quit, kill or wait, not 'nope'"),
        BadInput(label: "how misspelt", steps: "  - stop: vm\n    how: kil\n", line: 6, column: 10,
                 message: "how must be quit, kill or wait, not 'kil' (did you mean 'kill'?)"),
        BadInput(label: "target key on start", steps: "  - start: vm\n    target: vm\n", line: 6, column: 5,
                 message: "'target' does not apply to a start step"),
        BadInput(label: "unknown expect key", steps: "  - stop: vm\n    expect: {stdout: x}\n", line: 6, column: 14,
                 message: "unknown key 'stdout' in a start or stop step's expect"),
        BadInput(label: "how on start", steps: "  - start: vm\n    how: kill\n", line: 6, column: 5,
                 message: "'how' does not apply to a start step"),
        BadInput(label: "start of a list", steps: "  - start: [vm]\n", line: 5, column: 12,
                 message: "start must be a string, not a list"),
    ]

    @Test(arguments: badInputs)
    func badInputIsExit2AtItsLineAndColumn(_ input: BadInput) async throws {
        let fixture = try RunFixture("name: bad\ntargets:\n  vm: {launch: \(Self.qemu), autostart: false}\nsteps:\n" + input.steps)
        let report = fixture.folder.file("r.json")
        for arguments in [["check", fixture.playbook], ["run", fixture.playbook, "--report", report]] {
            let command = arguments[0]
            let output = try await runProgram(try Executables.qmpbook, arguments)
            #expect(output.status == 2, "\(command): \(output.standardError)")
            let expected = "\(fixture.playbook):\(input.line):\(input.column): \(input.message)"
            #expect(output.standardError.contains(expected), "\(command): \(output.standardError)")
        }
        #expect(!FileManager.default.fileExists(atPath: report), "nothing ran")
    }

    @Test func checkLiveLeavesAutostartFalseTargetsClosed() async throws {
        let fixture = try RunFixture("""
            name: late
            targets:
              vm: {launch: \(Self.qemu)}
              later: {launch: [qemu-system-x86_64, -M, no-such-machine], autostart: false}
            steps:
              - start: later
                expect: {exit: 1}
            """)
        let output = try await runProgram(try Executables.qmpbook, ["check", fixture.playbook, "--live"])
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        #expect(output.standardOutput.contains("; later: not opened (autostart: false))"), "\(output.standardOutput)")
    }

    @Test func autostartMustBeABoolean() async throws {
        let fixture = try RunFixture("name: bad\ntargets:\n  vm: {launch: \(Self.qemu), autostart: later}\nsteps:\n  - start: vm\n")
        let output = try await runProgram(try Executables.qmpbook, ["check", fixture.playbook])
        #expect(output.status == 2)
        #expect(output.standardError.contains("\(fixture.playbook):3:90: autostart must be true or false, not a string"),
                "\(output.standardError)")
    }
}

/// Signals while a lifecycle step is running.
@Suite(.timeLimit(.minutes(2))) struct LifecycleSignalTests {
    @Test func sigintDuringAStopThatWaitsStopsTheQEMUAndExits130() async throws {
        let fixture = try RunFixture("""
            name: interrupted wait
            targets:
              vm: {launch: \(LifecycleTests.qemu), autostart: false}
            steps:
              - start: vm
              - name: wait a long time
                stop: vm
                how: wait
                timeout: 60s
            """)
        let run = try BackgroundRun(fixture, [])
        try await run.waitForStep(1)
        kill(run.pid, SIGINT)
        let status = await run.waitForExit()
        #expect(status == 130)
        let report = try fixture.readReport()
        #expect(report["outcome"] == "interrupted")
        #expect(report.statuses == ["passed", "error"])
        #expect(!report.launchedPIDs.isEmpty)
        for pid in report.launchedPIDs { #expect(!processExists(pid), "QEMU \(pid) is still running") }
    }
}
