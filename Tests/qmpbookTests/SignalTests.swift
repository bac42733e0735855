import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

/// SIGHUP (the terminal closed), SIGUSR1 and SIGUSR2 stop a run the way
/// SIGTERM does, through the built binary: `always` runs, the QEMU is
/// stopped, the report is written, and the exit status is 128 + the signal.
@Suite(.timeLimit(.minutes(3)))
struct SignalTests {
    @Test(arguments: [(SIGHUP, Int32(129), "SIGHUP"), (SIGUSR1, Int32(138), "SIGUSR1"), (SIGUSR2, Int32(140), "SIGUSR2")])
    func aSignalEndsTheRunLikeSIGTERM(signal: Int32, expected: Int32, name: String) async throws {
        let fixture = try RunFixture("""
            name: hung up
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: cont
              - name: wait for a shutdown that never comes
                wait-event: SHUTDOWN
                timeout: 60s
            always:
              - name: look at the VM
                execute: query-status
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
        #expect(report["message"]?.stringValue == "interrupted by \(name)")
        #expect(report.step("look at the VM")?["status"] == "passed")
        for pid in qemu { #expect(!processExists(pid), "QEMU \(pid) was left running") }
        for pid in report.launchedPIDs { #expect(!processExists(pid)) }
    }

    /// A plain `execute` runs inline (no race task): a signal while QEMU has
    /// not answered still ends the step at once as interrupted, and the run
    /// with 128 + the signal, long before the step's timeout.
    @Test func aSignalEndsAnInlineExecuteThatGotNoReply() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            _ = try connection.readCommand(named: "query-status")   // never answered
            while connection.readLine() != nil {}
        }
        defer { peer.stop() }
        let fixture = try RunFixture("""
            name: no reply
            targets:
              vm: {connect: "\(peer.address)"}
            steps:
              - name: a command QEMU never answers
                execute: query-status
                timeout: 60s
            """)
        let run = try BackgroundRun(fixture, ["--no-preflight"])
        try await run.waitForStep(0)
        let sent = ContinuousClock.now
        kill(run.pid, SIGTERM)
        let status = await run.waitForExit(timeout: .seconds(20))
        #expect(status == 143)
        #expect(ContinuousClock.now - sent < .seconds(15), "the signal ended the step, not its 60 s timeout")
        let report = try fixture.readReport()
        #expect(report["outcome"] == "interrupted")
        #expect(report.step("a command QEMU never answers")?["status"] == "error")
        #expect(report.step("a command QEMU never answers")?["message"] == "interrupted")
    }

    /// `exec` installs no handler: SIGTERM ends it at once, as it ends any
    /// program, even while it waits for a greeting that never comes. (The
    /// pool's threads block SIGTERM; a main thread that blocked it too would
    /// leave it pending until exec gave up at its timeout.)
    @Test func sigtermEndsAnExecWaitingForAGreeting() async throws {
        let connected = Flag()
        let peer = try ScriptedPeer { connection in
            connected.set()
            while connection.readLine() != nil {}
        }
        defer { peer.stop() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Executables.qmpbook)
        // A timeout longer than the test's wait: under load the peer may
        // accept seconds after exec connected, and only SIGTERM may end it.
        process.arguments = ["exec", "\(peer.address)", "query-status", "--timeout", "60s"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while !connected.isSet, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(connected.isSet)
        let sent = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        let status = await exitStatus(of: process, killingAfter: .seconds(30))
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(status == SIGTERM)
        #expect(ContinuousClock.now - sent < .seconds(20), "SIGTERM ended exec, not its 60 s wait for the greeting")
    }
}
