import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

/// `qmpbook run` when things go wrong: silent peers, dying QEMUs, signals.
@Suite(.timeLimit(.minutes(2))) struct RunFaultTests {
    static let waitForever = """
        steps:
          - execute: cont
          - name: wait for a shutdown that never comes
            wait-event: SHUTDOWN
            timeout: 60s
        always:
          - name: look at the VM
            execute: query-status
        """

    @Test func aTargetThatNeverAnswersIsAnInfrastructureError() async throws {
        let peer = try ScriptedPeer { connection in try connection.expectEnd() }   // accepts, never greets
        defer { peer.stop() }
        let fixture = try RunFixture("""
            name: silent
            targets:
              vm: {connect: "\(peer.address)", timeout: 500ms}
            steps:
              - execute: query-status
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 3)
        #expect(outcome.report["outcome"] == "error")
        #expect(outcome.report["exit_code"] == 3)
        #expect(outcome.report.statuses == ["skipped"])
        let error = outcome.report["targets"]?[0]?["error"]?.stringValue ?? ""
        #expect(error.contains("handshake"), "\(error)")
        #expect(outcome.report["message"]?.stringValue?.contains("target vm") == true)
        try await peer.finish()
    }

    @Test func alwaysStepsRunOnTheTargetsThatDidOpen() async throws {
        let fixture = try RunFixture("""
            name: partial
            targets:
              good: {launch: \(RunFixture.qemu)}
              bad: {connect: unix:/nonexistent/qmp.sock, timeout: 300ms}
            steps:
              - {target: good, execute: cont}
            always:
              - {target: good, execute: query-status}
              - {target: bad, execute: query-status}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 3)
        #expect(outcome.report.statuses == ["skipped", "passed", "skipped"])
        #expect(outcome.report["steps"]?[2]?["message"]?.stringValue?.contains("not connected") == true)
        #expect(outcome.report["steps"]?[2]?["started"] == .null)
        #expect(outcome.standardError.contains("target bad: could not connect"))
        for pid in outcome.report.launchedPIDs { #expect(!processExists(pid)) }
    }

    @Test func aSocketThatNeverAppearsIsAnInfrastructureError() async throws {
        let fixture = try RunFixture("""
            name: missing
            targets:
              vm: {connect: "unix:/nonexistent/qmp.sock", timeout: 300ms}
            steps:
              - execute: query-status
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 3)
        #expect(outcome.report["targets"]?[0]?["error"]?.stringValue?.contains("could not connect") == true)
    }

    @Test func aQEMUThatFailsToStartReportsItsExitAndOutput() async throws {
        let fixture = try RunFixture("""
            name: bad qemu
            targets:
              vm: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -no-such-option]}
            steps:
              - execute: query-status
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 3)
        let target = try #require(outcome.report["targets"]?[0])
        #expect(target["process"]?["exit_status"] == 1)
        #expect(target["process"]?["stderr_tail"]?.stringValue?.contains("no-such-option") == true)
        #expect(target["error"]?.stringValue?.contains("exited with status 1") == true)
        #expect(outcome.standardError.contains("no-such-option"))
    }

    @Test func aMissingQEMUBinaryIsAnInfrastructureError() async throws {
        let fixture = try RunFixture("""
            name: no binary
            targets:
              vm: {launch: [/nonexistent/qemu-system-x86_64]}
            steps:
              - execute: query-status
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 3)
        #expect(outcome.report["message"]?.stringValue?.contains("cannot start") == true)
    }

    @Test func qemuKilledDuringAWaitFailsTheStepAtOnce() async throws {
        let fixture = try RunFixture("""
            name: killed
            targets:
              vm:
                launch: [sh, -c, "echo qemu is starting >&2; exec qemu-system-x86_64 \\"$@\\"", sh,
                         -M, pc, -nodefaults, -display, none, -S]
            \(Self.waitForever)
            """)
        let run = try BackgroundRun(fixture, [])
        try await run.waitForStep(1)
        let children = childProcesses(of: run.pid)
        let qemu = try #require(children.first)
        kill(qemu, SIGKILL)
        let status = await run.waitForExit(timeout: .seconds(15))
        #expect(status == 3)
        let report = try fixture.readReport()
        #expect(report["outcome"] == "error")
        let step = try #require(report.step("wait for a shutdown that never comes"))
        #expect(step["status"] == "error")
        let message = step["message"]?.stringValue ?? ""
        #expect(message.contains("was killed by SIGKILL"), "\(message)")
        #expect(message.contains("qemu is starting"), "\(message)")
        // The always step still ran (and found the target gone).
        #expect(report.step("look at the VM")?["status"] == "error")
        let process = try #require(report["targets"]?[0]?["process"])
        #expect(process["signal"] == "SIGKILL")
        #expect(process["stderr_tail"]?.stringValue?.contains("qemu is starting") == true)
        // targets[].error says why the target was lost mid-run.
        let lost = report["targets"]?[0]?["error"]?.stringValue ?? ""
        #expect(lost.hasPrefix("lost during the run: QEMU was killed by SIGKILL"), "\(lost)")
        #expect(!processExists(qemu))
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalDuringAWaitRunsAlwaysStopsQEMUAndWritesTheReport(signal: Int32, expected: Int32) async throws {
        let fixture = try RunFixture("""
            name: interrupted
            targets:
              vm: {launch: \(RunFixture.qemu)}
            \(Self.waitForever)
            """)
        let run = try BackgroundRun(fixture, [])
        try await run.waitForStep(1)
        let qemu = childProcesses(of: run.pid)
        #expect(qemu.count == 1)
        kill(run.pid, signal)
        let status = await run.waitForExit(timeout: .seconds(20))
        #expect(status == expected)
        let report = try fixture.readReport()
        #expect(report["outcome"] == "interrupted")
        #expect(report["exit_code"]?.intValue == Int64(expected))
        #expect(report.step("look at the VM")?["status"] == "passed")
        #expect(report.step("wait for a shutdown that never comes")?["status"] == "error")
        for pid in qemu { #expect(!processExists(pid), "QEMU \(pid) was left running") }
        for pid in report.launchedPIDs { #expect(!processExists(pid)) }
    }

    @Test func aSignalWhileListeningEndsTheRunAtOnce() async throws {
        let fixture = try RunFixture("")
        try """
            name: nobody comes
            targets:
              vm: {listen: "unix:\(fixture.folder.file("listen.sock"))", timeout: 60s}
            steps:
              - execute: query-status
            """.write(toFile: fixture.playbook, atomically: false, encoding: .utf8)
        let run = try BackgroundRun(fixture, [])
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: fixture.folder.file("listen.sock")) {
            try await Task.sleep(for: .milliseconds(10))
        }
        kill(run.pid, SIGINT)
        // Well before the 60 s accept timeout.
        #expect(await run.waitForExit(timeout: .seconds(15)) == 130)
        let report = try fixture.readReport()
        #expect(report["outcome"] == "interrupted")
        #expect(report.statuses == ["skipped"])
    }

    @Test func thePlaybookDeadlineFailsTheRun() async throws {
        let fixture = try RunFixture("""
            name: deadline
            timeout: 3s
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              # The deadline also bounds launching QEMU: 3s leaves room for a slow launch on a loaded machine.
              - {name: long wait, wait-event: SHUTDOWN, timeout: 30s}
              - log: never
            always:
              - execute: query-status
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        #expect(outcome.report.statuses == ["timeout", "skipped", "passed"])
        let message = outcome.report["steps"]?[0]?["message"]?.stringValue ?? ""
        #expect(message.contains("deadline"), "\(message)")
        #expect(outcome.report["steps"]?[1]?["message"]?.stringValue?.contains("deadline") == true)
    }

    @Test func anInvalidPlaybookSendsNothingAndExits2() async throws {
        let fixture = try RunFixture("""
            name: invalid
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
                bogus-key: 1
            """)
        let output = try await runProgram(try Executables.qmpbook, ["run", fixture.playbook, "--report", fixture.reportPath])
        #expect(output.status == 2)
        #expect(output.standardError.contains("book.yaml:"))
        #expect(output.standardError.contains("bogus-key"))
    }
}
