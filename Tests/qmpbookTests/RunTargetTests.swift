import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

/// How `qmpbook run` reaches targets it does not launch, and what it leaves behind.
@Suite(.timeLimit(.minutes(2))) struct RunTargetTests {
    @Test func connectRetriesUntilTheSocketAppears() async throws {
        let fixture = try RunFixture("")
        let socket = fixture.folder.file("late.qmp")
        try """
            name: late socket
            targets:
              vm: {connect: "unix:\(socket)", timeout: 20s}
            steps:
              - execute: query-status
            """.write(toFile: fixture.playbook, atomically: false, encoding: .utf8)
        let run = try BackgroundRun(fixture, [])
        try await Task.sleep(for: .milliseconds(300))
        let qemu = try await QEMUProcess.startWithoutMonitor(
            extraArguments: ["-qmp", "unix:\(socket),server=on,wait=off"])
        defer { qemu.stop() }
        #expect(await run.waitForExit() == 0)
        #expect(try fixture.readReport()["targets"]?[0]?["qemu"]?["major"]?.intValue ?? 0 >= 7)
        #expect(qemu.isRunning)
    }

    @Test func listenAcceptsAQEMUThatConnects() async throws {
        let fixture = try RunFixture("")
        let socket = fixture.folder.file("listen.sock")
        try """
            name: listening
            targets:
              vm: {listen: "unix:\(socket)", timeout: 20s}
            steps:
              - execute: query-status
                expect: {return: {running: false}}
            """.write(toFile: fixture.playbook, atomically: false, encoding: .utf8)
        let run = try BackgroundRun(fixture, [])
        // QEMU as the client, retrying until qmpbook listens.
        let qemu = try await QEMUProcess.startWithoutMonitor(extraArguments: [
            "-chardev", "socket,id=mon,path=\(socket),reconnect=1", "-mon", "chardev=mon,mode=control",
        ])
        defer { qemu.stop() }
        #expect(await run.waitForExit() == 0)
        let report = try fixture.readReport()
        #expect(report["targets"]?[0]?["mode"] == "listen")
        #expect(report.statuses == ["passed"])
    }

    @Test func aKilledQmpbookTakesItsQEMUWithIt() async throws {
        let fixture = try RunFixture("""
            name: orphan
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - {wait-event: SHUTDOWN, timeout: 60s}
            """)
        let run = try BackgroundRun(fixture, [])
        try await run.waitForStep(0)
        let qemu = childProcesses(of: run.pid)
        #expect(qemu.count == 1)
        kill(run.pid, SIGKILL)
        _ = await run.waitForExit()
        // The kernel's parent-death signal ends QEMU; give it a moment to be reaped by init.
        for _ in 0..<200 where qemu.contains(where: processExists) {
            try await Task.sleep(for: .milliseconds(25))
        }
        for pid in qemu { #expect(!processExists(pid), "QEMU \(pid) outlived qmpbook") }
    }

    @Test func quietPrintsOnlyTheSummaryAndVerboseShowsTraffic() async throws {
        let fixture = try RunFixture("""
            name: chatter
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
            """)
        let quiet = try await fixture.run(["--quiet"])
        #expect(quiet.status == 0)
        #expect(quiet.standardOutput.split(separator: "\n").count == 1)
        #expect(quiet.standardOutput.contains("chatter: passed, 1 step (1 passed)"))
        let verbose = try await fixture.run(["--verbose", "--color", "never"])
        #expect(verbose.standardOutput.contains(#"→ vm {"execute":"query-status"}"#))
        #expect(verbose.standardOutput.contains(#"← vm {"return":"#))
        let both = try await runProgram(try Executables.qmpbook, ["run", fixture.playbook, "--quiet", "--verbose"])
        #expect(both.status == 2)
    }

    @Test func theRunDirectoryIsRemovedUnlessKept() async throws {
        let fixture = try RunFixture("""
            name: run dir
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - log: "${run.dir}"
            """)
        let removed = try await fixture.run()
        let first = try #require(removed.report["steps"]?[0]?["response"]?.stringValue)
        #expect(!FileManager.default.fileExists(atPath: first))
        let kept = try await fixture.run(["--keep-run-dir"])
        let second = try #require(kept.report["steps"]?[0]?["response"]?.stringValue)
        defer { try? FileManager.default.removeItem(atPath: second) }
        #expect(FileManager.default.fileExists(atPath: second + "/vm.log"))
    }

    @Test func garbageAfterTheHandshakeIsSkippedAndCounted() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            connection.send("this is not JSON\r\n")
            connection.send("[1, 2\r\n")
            connection.sendEvent("RESUME")
            guard try connection.answer(#"{"status": "running", "running": true}"#)["execute"] == "query-status" else {
                throw PeerFailure(message: "expected query-status")
            }
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let fixture = try RunFixture("""
            name: garbage
            targets:
              vm: {connect: "\(peer.address)", timeout: 5s}
            steps:
              - {wait-event: RESUME, timeout: 5s}
              - {execute: query-status, expect: {return: {status: running}}}
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report["targets"]?[0]?["protocol_errors"] == 2)
        #expect(outcome.report["targets"]?[0]?["qemu"]?["package"] == "Debian 1:7.2+dfsg-7")
        try await peer.finish()
    }

    @Test func aGarbageGreetingIsAnInfrastructureError() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send("HELLO I AM NOT QEMU\r\n")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let fixture = try RunFixture("""
            name: not qemu
            targets:
              vm: {connect: "\(peer.address)", timeout: 2s}
            steps:
              - execute: query-status
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 3)
        #expect(outcome.report["outcome"] == "error")
        #expect(outcome.report["targets"]?[0]?["error"]?.stringValue?.contains("handshake") == true)
        try await peer.finish()
    }

    @Test func aMonitorHeldByAnotherClientSaysSo() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let holder = try await qemu.connectMonitor()  // QEMU now queues any second client without a greeting
        let fixture = try RunFixture("""
            name: busy monitor
            targets:
              vm: {connect: "unix:\(qemu.socketPath)", timeout: 1s}
            steps:
              - execute: query-status
            """)
        let outcome = try await fixture.run()
        await holder.disconnect()
        #expect(outcome.status == 3)
        let error = outcome.report["targets"]?[0]?["error"]?.stringValue ?? ""
        #expect(error.contains("no QMP greeting within"), "\(error)")
        #expect(error.contains("is another client connected?"), "\(error)")
        #expect(!error.contains("seconds"), "durations read as 1s or 999ms: \(error)")
    }

    @Test func anEndlessLineFromThePeerLosesTheTargetWithItsReason() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            try connection.readCommand(named: "query-status")   // the step's command
            // No newline, ever: past the 64 MiB message cap the engine must give up
            // (and hang up, so the last writes may fail).
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
            for _ in 0..<80 where connection.sendIfOpen(chunk) {}
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let fixture = try RunFixture("""
            name: endless
            targets:
              vm: {connect: "\(peer.address)", timeout: 5s}
            steps:
              - {execute: query-status, timeout: 60s}
            always:
              - log: after the loss
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 3, "\(outcome.standardError)")
        #expect(outcome.report["outcome"] == "error")
        #expect(outcome.report.statuses == ["error", "passed"])
        let message = outcome.report["steps"]?[0]?["message"]?.stringValue ?? ""
        #expect(message.contains("longer than the maximum of 67108864 bytes"), "\(message)")
        #expect(outcome.standardError.split(separator: "\n").count == 1, "\(outcome.standardError)")
        try await peer.finish()
    }

    @Test func aPeerClosingMidReplyLosesTheTargetWithItsReason() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            try connection.readCommand(named: "query-status")
            connection.send(#"{"return": {"status": "runn"#)
            connection.close()
        }
        defer { peer.stop() }
        let fixture = try RunFixture("""
            name: cut off
            targets:
              vm: {connect: "\(peer.address)", timeout: 5s}
            steps:
              - execute: query-status
              - log: never
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 3, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["error", "skipped"])
        let message = outcome.report["steps"]?[0]?["message"]?.stringValue ?? ""
        #expect(message.contains("target vm was lost during query-status"), "\(message)")
        #expect(message.contains("closed"), "\(message)")
        try await peer.finish()
    }

    @Test func theReportOnStdoutMovesProgressToStderr() async throws {
        let fixture = try RunFixture("""
            name: to stdout
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
            """)
        let output = try await runProgram(try Executables.qmpbook, ["run", fixture.playbook, "--report", "-"])
        #expect(output.status == 0)
        let report = try JSONValue(parsing: output.standardOutput)
        #expect(report["outcome"] == "passed")
        #expect(output.standardError.contains("PASS"))
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.file("book.report.json")))
    }
}
