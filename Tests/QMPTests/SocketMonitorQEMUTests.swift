import Foundation
import Glibc
import QEMUTestSupport
import Testing
@testable import QMP

/// The engine against a real QEMU (7.2 with no guest), one QEMU per test.
@Suite(.timeLimit(.minutes(2)))
struct SocketMonitorQEMUTests {
    @Test func greetingVersionEqualsQueryVersion() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor(handshake: false)
        let greeting = try await monitor.connect(timeout: testHandshakeTimeout)
        let version = try await monitor.execute("query-version")
        #expect(version["qemu"]?["major"]?.intValue == Int64(greeting.version.major))
        #expect(version["qemu"]?["minor"]?.intValue == Int64(greeting.version.minor))
        #expect(version["qemu"]?["micro"]?.intValue == Int64(greeting.version.micro))
        #expect(version["package"]?.stringValue == greeting.version.package)
        #expect(greeting.capabilities.contains("oob"))
        #expect(greeting.enabled.isEmpty)
        #expect(monitor.greeting == greeting)
        await monitor.disconnect()
    }

    @Test func enablesRequestedCapabilities() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor(handshake: false)
        let greeting = try await monitor.connect(capabilities: ["oob"], timeout: .seconds(10))
        #expect(greeting.enabled == ["oob"])
        #expect(try await monitor.execute("query-status")["status"] == "prelaunch")
        await monitor.disconnect()
    }

    @Test func refusedCapabilityFailsTheHandshake() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor(handshake: false)
        let error = await #expect(throws: QMPError.self) {
            try await monitor.connect(capabilities: ["no-such-capability"], timeout: .seconds(10))
        }
        #expect(error?.code == .commandFailed)
        #expect(error?.command == "qmp_capabilities")
        await monitor.disconnect()
    }

    /// With `oob` enabled QEMU queues up to 8 commands at once instead of
    /// reading one at a time, so replies come back to back.
    @Test(arguments: [[], ["oob"]] as [[String]])
    func concurrentTasksEachGetTheirOwnReplies(capabilities: [String]) async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor(handshake: false)
        _ = try await monitor.connect(capabilities: capabilities, timeout: testHandshakeTimeout)
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<100 {
                group.addTask {
                    var wrong = 0
                    for call in 0..<100 {
                        // Alternate two commands so a crossed reply would show.
                        if (task + call) % 2 == 0 {
                            if try await monitor.execute("query-status")["status"] != "prelaunch" { wrong += 1 }
                        } else {
                            if try await monitor.execute("query-name") != .object([:]) { wrong += 1 }
                        }
                    }
                    return wrong
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        await monitor.disconnect()
    }

    @Test func stopAndContDeliverStopAndResume() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let events = monitor.events()
        try await monitor.execute("cont")
        try await monitor.execute("stop")
        try await monitor.execute("cont")
        var names: [String] = []
        while names.count < 3, let event = try await events.next(timeout: .seconds(10)) {
            names.append(event.name)
        }
        #expect(names == ["RESUME", "STOP", "RESUME"])
        await monitor.disconnect()
    }

    @Test func unreadEventsNeverStallReplies() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let ignored = monitor.events(bufferLimit: 100)
        for _ in 0..<2_000 {
            try await monitor.execute("cont")
            try await monitor.execute("stop")
        }
        let status = try await monitor.execute("query-status", timeout: .seconds(1))
        #expect(status["status"] == "paused")
        #expect(ignored.droppedCount == 4_000 - 100)
        #expect(ignored.drain().count == 100)
        await monitor.disconnect()
    }

    @Test func querySchemaParsesPastSixtyFourKilobytes() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let raw = try await monitor.run(Array(#"{"execute": "query-qmp-schema"}"#.utf8))
        #expect(raw.count > 64 << 10)
        let schema = try await monitor.execute("query-qmp-schema")
        #expect((schema.arrayValue?.count ?? 0) > 1_000)
        await monitor.disconnect()
    }

    @Test func unknownCommandRaisesCommandNotFound() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let error = await #expect(throws: QMPError.self) { try await monitor.execute("no-such-command") }
        #expect(error?.code == .commandFailed)
        #expect(error?.reply?.errorClass == "CommandNotFound")
        #expect(error?.command == "no-such-command")
        let reply = try await monitor.request("no-such-command")
        guard case .failure(let failure) = reply else {
            Issue.record("expected an error reply, got \(reply)")
            return
        }
        #expect(failure.errorClass == "CommandNotFound")
        #expect(try await monitor.execute("query-status")["status"] == "prelaunch")
        await monitor.disconnect()
    }

    @Test func runInjectsIdAndReturnsTheCallersOwnId() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let reply = try JSONValue(parsing: try await monitor.run(Array(#"{"execute": "query-status", "id": "mine"}"#.utf8)))
        #expect(reply["id"] == "mine")
        #expect(reply["return"]?["status"] == "prelaunch")
        let error = await #expect(throws: QMPError.self) { try await monitor.run(Array("not json".utf8)) }
        #expect(error?.code == .invalidCommand)
        await monitor.disconnect()
    }

    @Test func getfdThenMigrateToFdWritesTheFile() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let events = monitor.events()
        try await monitor.execute("migrate-set-capabilities", arguments: [
            "capabilities": [["capability": "events", "state": true]],
        ])
        let path = qemu.directory.file("migration.bin")
        let file = try OpenedFile(path: path, mode: .write, create: true)
        let before = OpenFileDescriptors.descriptor(file.descriptor)
        try await monitor.execute("getfd", arguments: ["fdname": "migfd"], passing: file.descriptor)
        file.close()
        if let before { #expect(!OpenFileDescriptors.isOpen(before)) }
        try await monitor.execute("migrate", arguments: ["uri": "fd:migfd"])
        var statuses: [String] = []
        while statuses.last != "completed" && statuses.last != "failed",
              let event = try await events.next(timeout: .seconds(30)) {
            if event.name == "MIGRATION", let status = event.data["status"]?.stringValue { statuses.append(status) }
        }
        #expect(statuses.last == "completed")
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        #expect(size > 0)
        await monitor.disconnect()
    }

    @Test func addFdReturnsAnFdsetId() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let file = try OpenedFile(path: qemu.directory.file("fdset.img"), mode: .readWrite, create: true)
        defer { file.close() }
        let result = try await monitor.execute("add-fd", arguments: ["opaque": "test"], passing: file.descriptor)
        #expect(result["fdset-id"]?.intValue != nil)
        #expect(result["fd"]?.intValue != nil)
        await monitor.disconnect()
    }

    @Test func listenAcceptsQEMUAsAClient() async throws {
        let directory = try TemporaryDirectory(prefix: "listen")
        let path = directory.file("mon.sock")
        async let accepted = SocketMonitor.listen(on: .unix(path: path), timeout: .seconds(20))
        // Give listen a moment to bind before QEMU connects; QEMU's client
        // chardev retries nothing, so wait for the socket file.
        while !FileManager.default.fileExists(atPath: path) { try await Task.sleep(for: .milliseconds(5)) }
        let qemu = try await QEMUProcess.startWithoutMonitor(extraArguments: [
            "-chardev", "socket,id=m,path=\(path),server=off", "-mon", "chardev=m,mode=control",
        ], directory: directory)
        defer { qemu.stop() }
        let monitor = try await accepted
        let greeting = try await monitor.connect(timeout: testHandshakeTimeout)
        #expect(greeting.version.major >= 7)
        #expect(try await monitor.execute("query-status")["status"] == "prelaunch")
        #expect(!FileManager.default.fileExists(atPath: path))
        await monitor.disconnect()
    }

    @Test func qemuExitFailsPendingAndLaterCallsWithConnectionClosed() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let events = monitor.events()
        let descriptor = OpenFileDescriptors.descriptor(monitor.core.connection.descriptor)
        // `quit` answers, then QEMU exits; a command sent after races the close.
        try await monitor.execute("quit")
        #expect(await qemu.waitForExit(timeout: .seconds(10)))
        let error = await #expect(throws: QMPError.self) {
            try await monitor.execute("query-status", timeout: .seconds(10))
        }
        #expect(error?.code == .connectionClosed)
        // The event stream ends too.
        while try await events.next(timeout: .seconds(10)) != nil {}
        #expect(events.closeReason?.code == .connectionClosed)
        await monitor.disconnect()
        if let descriptor { #expect(!OpenFileDescriptors.isOpen(descriptor)) }
    }

    @Test func killedQEMUFailsAPendingCall() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        // Freeze QEMU so the command is surely pending, then kill it.
        kill(qemu.pid, SIGSTOP)
        let pending = Task { try await monitor.execute("query-status", timeout: .seconds(30)) }
        // Sent and waiting (a call made after the kill would fail the same way).
        #expect(await eventually { monitor.core.pendingCount == 1 })
        qemu.stop()
        let result = await pending.result
        guard case .failure(let error as QMPError) = result else {
            Issue.record("a frozen QEMU answered: \(result)")
            return
        }
        #expect(error.code == .connectionClosed)
        #expect(error.command == "query-status")
        let later = await #expect(throws: QMPError.self) { try await monitor.execute("query-status") }
        #expect(later?.code == .connectionClosed)
        await monitor.disconnect()
    }

    @Test func disconnectClosesTheSocketAndFailsLaterCalls() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let descriptor = try #require(OpenFileDescriptors.descriptor(monitor.core.connection.descriptor))
        await monitor.disconnect(reason: .peerExited("QEMU exited with status 1"))
        #expect(!OpenFileDescriptors.isOpen(descriptor))
        let error = await #expect(throws: QMPError.self) { try await monitor.execute("query-status") }
        #expect(error?.code == .peerExited)
        // QEMU accepts a new client after the old one left.
        let again = try await qemu.connectMonitor()
        #expect(try await again.execute("query-status")["status"] == "prelaunch")
        await again.disconnect()
    }

    @Test func dialsAndListensOverTCP() async throws {
        let port = try freeTCPPort()
        let qemu = try await QEMUProcess.start(extraArguments: ["-qmp", "tcp:127.0.0.1:\(port),server=on,wait=off"])
        defer { qemu.stop() }
        var dialed: SocketMonitor?
        for _ in 0..<100 where dialed == nil {
            dialed = try? await SocketMonitor.dial(.tcp(host: "127.0.0.1", port: port), timeout: .seconds(5))
            if dialed == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let monitor = try #require(dialed)
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        #expect(try await monitor.execute("query-status")["status"] == "prelaunch")
        await monitor.disconnect()

        let listenPort = try freeTCPPort()
        async let accepted = SocketMonitor.listen(on: .tcp(host: "127.0.0.1", port: listenPort), timeout: .seconds(20))
        // QEMU retries every second (reconnect=1) until the listener is up.
        let client = try await QEMUProcess.startWithoutMonitor(extraArguments: [
            "-chardev", "socket,id=m,host=127.0.0.1,port=\(listenPort),server=off,reconnect=1", "-mon", "chardev=m,mode=control",
        ])
        defer { client.stop() }
        let listened = try await accepted
        _ = try await listened.connect(timeout: testHandshakeTimeout)
        #expect(try await listened.execute("query-status")["status"] == "prelaunch")
        await listened.disconnect()
    }

    @Test func disconnectWhileManyTasksWaitEndsEveryCall() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let outcomes = await withTaskGroup(of: QMPError.Code?.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    do throws(QMPError) {
                        for _ in 0..<1_000 { try await monitor.execute("query-status") }
                        return nil
                    } catch {
                        return error.code
                    }
                }
            }
            group.addTask {
                // Many calls are waiting for their replies when the connection closes.
                #expect(await eventually { monitor.core.pendingCount >= 8 })
                await monitor.disconnect()
                return nil
            }
            var codes: [QMPError.Code?] = []
            for await code in group { codes.append(code) }
            return codes
        }
        #expect(outcomes.count == 51)
        #expect(outcomes.compactMap { $0 }.allSatisfy { $0 == .connectionClosed })
        #expect(outcomes.contains(QMPError.Code.connectionClosed))
    }
}
