import Foundation
import Glibc
import QEMUTestSupport
import Testing
@testable import QMP

/// The engine against a scripted fake peer, for what QEMU will not do on
/// demand: garbage, endless lines, closing mid-reply. (Timeouts are in
/// ``SocketMonitorDeadlineTests``, on a test clock.)
@Suite(.timeLimit(.minutes(1)))
struct SocketMonitorPeerTests {
    @Test func garbageGreetingIsMalformed() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send("SSH-2.0-OpenSSH_9.2\r\n")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        let error = await #expect(throws: QMPError.self) { try await monitor.connect(timeout: .seconds(5)) }
        #expect(error?.code == .malformed)
        #expect(error?.description.contains("SSH-2.0") == true)
        #expect(monitor.closeReason?.code == .malformed)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func jsonThatIsNotAGreetingIsMalformed() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(#"{"return": {}}"# + "\r\n")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        let error = await #expect(throws: QMPError.self) { try await monitor.connect(timeout: .seconds(5)) }
        #expect(error?.code == .malformed)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func garbageLineAndUnknownIdDoNotBreakTheNextReply() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            let command = try connection.readCommand()
            connection.send("this is not json\r\n")
            connection.send(#"{"return": {"stale": true}, "id": 999999}"# + "\r\n")
            connection.send(#"{"return": {"other": true}, "id": "someone-else"}"# + "\r\n")
            connection.send(#"[1, 2, 3]"# + "\r\n")
            connection.send(#"{"return": {"status": "running"}, "id": \#(command["id"]!.jsonText)}"# + "\r\n")
            try connection.answer(#"{"second": true}"#)
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        #expect(try await monitor.execute("query-status")["status"] == "running")
        #expect(try await monitor.execute("query-name")["second"] == true)
        #expect(monitor.protocolErrorCount == 2)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func eventsAnywhereAreRoutedAsEvents() async throws {
        let peer = try ScriptedPeer { connection in
            connection.sendEvent("BEFORE_GREETING")
            connection.send(ScriptedPeer.greeting)
            let capabilities = try connection.readCommand()
            connection.sendEvent("BEFORE_CAPABILITIES_REPLY")
            connection.send(#"{"return": {}, "id": \#(capabilities["id"]!.jsonText)}"# + "\r\n")
            let command = try connection.readCommand()
            connection.sendEvent("BETWEEN", data: #"{"n": 1}"#)
            // An event and a reply in one write, the reply split across writes.
            let reply = #"{"return": {"ok": true}, "id": \#(command["id"]!.jsonText)}"# + "\r\n"
            let split = reply.index(reply.startIndex, offsetBy: 10)
            connection.send(#"{"event": "SAME_WRITE", "data": {}, "timestamp": {"seconds": 1, "microseconds": 2}}"# + "\r\n" + reply[..<split])
            connection.pause(.milliseconds(20))
            connection.send(String(reply[split...]))
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        let events = monitor.events()
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        #expect(try await monitor.execute("query-status")["ok"] == true)
        var names: [String] = []
        while names.count < 4, let event = try await events.next(timeout: .seconds(5)) { names.append(event.name) }
        #expect(names == ["BEFORE_GREETING", "BEFORE_CAPABILITIES_REPLY", "BETWEEN", "SAME_WRITE"])
        #expect(monitor.protocolErrorCount == 0)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func messagePastTheCapClosesTheConnection() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            _ = try connection.readCommand()
            // An endless line: 4 MiB without a newline, against a 1 MiB cap.
            let block = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)
            for _ in 0..<64 where connection.sendIfOpen(block) {}
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let options = MonitorOptions(maximumMessageSize: 1 << 20)
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5), options: options)
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        let error = await #expect(throws: QMPError.self) { try await monitor.execute("query-status") }
        #expect(error?.code == .messageTooLarge)
        #expect(error?.description.contains("1048576") == true)
        #expect(monitor.closeReason?.code == .messageTooLarge)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func peerClosingMidReplyFailsThePendingCall() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            let command = try connection.readCommand()
            connection.send(#"{"return": {"status": "runn"#)
            _ = command
            connection.close()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        let error = await #expect(throws: QMPError.self) { try await monitor.execute("query-status") }
        #expect(error?.code == .connectionClosed)
        #expect(error?.command == "query-status")
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func cancellingACallerFailsOnlyThatCall() async throws {
        let received = Flag()
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            try connection.readCommand(named: "never-answered")
            received.set()
            guard try connection.answer(#"{"after": true}"#)["execute"] == "query-status" else {
                throw PeerFailure(message: "expected query-status after the cancelled command")
            }
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        let task = Task { try await monitor.execute("never-answered") }
        #expect(await eventually { received.isSet })
        #expect(monitor.core.pendingCount == 1)
        task.cancel()
        let result = await task.result
        guard case .failure(let error as QMPError) = result else {
            Issue.record("expected a cancelled error, got \(result)")
            return
        }
        #expect(error.code == .cancelled)
        #expect(monitor.core.pendingCount == 0)
        #expect(try await monitor.execute("query-status")["after"] == true)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func disconnectFailsPendingCallsWithTheReason() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            try connection.readCommand(named: "never-answered")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        let events = monitor.events()
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        let pending = Task { try await monitor.execute("never-answered") }
        // The call must be waiting for its reply when the connection closes
        // (a call made after the close fails the same way without testing this).
        #expect(await eventually { monitor.core.pendingCount == 1 })
        await monitor.disconnect(reason: .peerExited("QEMU exited with status 137"))
        let result = await pending.result
        guard case .failure(let error as QMPError) = result else {
            Issue.record("expected peerExited, got \(result)")
            return
        }
        #expect(error.code == .peerExited)
        #expect(error.description.contains("status 137"))
        #expect(monitor.core.pendingCount == 0)
        #expect(try await events.next(timeout: .seconds(1)) == nil)
        #expect(events.closeReason?.code == .peerExited)
        try await peer.finish()
    }

    @Test func descriptorsThePeerSendsAreClosed() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            let command = try connection.readCommand()
            let marker = try OpenedFile(path: command["arguments"]!["path"]!.stringValue!, mode: .write, create: true)
            connection.send(#"{"return": {}, "id": \#(command["id"]!.jsonText)}"# + "\r\n", passing: marker.descriptor)
            // The peer shares this process: its own copy is closed before it answers the next command.
            marker.close()
            let next = try connection.readCommand()
            connection.send(#"{"return": {}, "id": \#(next["id"]!.jsonText)}"# + "\r\n")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let marker = peer.directory.file("stray-descriptor")
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        try await monitor.execute("hand-me-a-descriptor", arguments: ["path": .string(marker)])
        try await monitor.execute("query-status")
        #expect(OpenFileDescriptors.matching(marker).isEmpty)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func connectionDescriptorIsClosedOnEveryPath() async throws {
        // Closed by the peer, by disconnect, and by dropping the monitor.
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            connection.close()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        let descriptor = try #require(OpenFileDescriptors.descriptor(monitor.core.connection.descriptor))
        _ = monitor.events()
        await #expect(throws: QMPError.self) { try await monitor.connect(timeout: .seconds(5)) }
        await monitor.disconnect()
        #expect(!OpenFileDescriptors.isOpen(descriptor))
        try await peer.finish()

        let silent = try ScriptedPeer { connection in try connection.expectEnd() }
        defer { silent.stop() }
        var dropped: SocketMonitor? = try await SocketMonitor.dial(silent.address, timeout: .seconds(5))
        let droppedDescriptor = try #require(OpenFileDescriptors.descriptor(dropped!.core.connection.descriptor))
        _ = dropped?.events()
        dropped = nil
        let deadline = ContinuousClock.now + .seconds(5)
        while OpenFileDescriptors.isOpen(droppedDescriptor), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(!OpenFileDescriptors.isOpen(droppedDescriptor))
        try await silent.finish()
    }

    @Test func passingADescriptorOverTCPIsUnsupported() async throws {
        let peer = try ScriptedPeer(tcp: true) { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            try connection.answer(#"{"status": "prelaunch"}"#)
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        let file = try OpenedFile(path: peer.directory.file("f"), mode: .write, create: true)
        defer { file.close() }
        let error = await #expect(throws: QMPError.self) {
            try await monitor.execute("getfd", arguments: ["fdname": "f"], passing: file.descriptor)
        }
        #expect(error?.code == .unsupported)
        #expect(try await monitor.execute("query-status")["status"] == "prelaunch")
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func dialingNothingFailsWithTheSystemReason() async throws {
        let directory = try TemporaryDirectory()
        let error = await #expect(throws: QMPError.self) {
            try await SocketMonitor.dial(.unix(path: directory.file("missing.sock")), timeout: .seconds(1))
        }
        #expect(error?.code == .connectFailed)
        #expect(error?.description.contains("No such file or directory") == true)
    }

    /// A unix listener whose backlog (0: room for one) a first connection fills.
    final class FullBacklogListener: Sendable {
        let path: String
        let listener: Int32
        let filler: Int32

        init(in directory: TemporaryDirectory) throws {
            let path = directory.file("full.sock")
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + path.utf8.count + 1)
            func call(_ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32, _ fd: Int32) -> Int32 {
                withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(fd, $0, length) } }
            }
            let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard call(bind, listener) == 0, Glibc.listen(listener, 0) == 0 else { throw POSIXError(.EADDRINUSE) }
            let filler = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            _ = fcntl(filler, F_SETFL, O_NONBLOCK)
            guard call(connect, filler) == 0 else { throw POSIXError(.ECONNREFUSED) }
            // The backlog is full now: one more non-blocking connect says EAGAIN.
            let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            _ = fcntl(probe, F_SETFL, O_NONBLOCK)
            let full = call(connect, probe) == -1 && errno == EAGAIN
            close(probe)
            guard full else { throw POSIXError(.EAGAIN) }
            (self.path, self.listener, self.filler) = (path, listener, filler)
        }

        /// Takes the filler's connection off the backlog, making room.
        func acceptOne() -> Int32 { accept(listener, nil, nil) }

        deinit {
            close(filler)
            close(listener)
        }
    }

    @Test func dialingAListenerWhoseBacklogStaysFullTimesOutSayingSo() async throws {
        let directory = try TemporaryDirectory()
        let full = try FullBacklogListener(in: directory)
        let error = await #expect(throws: QMPError.self) {
            try await SocketMonitor.dial(.unix(path: full.path), timeout: .milliseconds(300))
        }
        #expect(error?.code == .timeout)
        #expect(error?.description.contains("backlog stayed full") == true, "\(String(describing: error))")
    }

    @Test func dialingAListenerWhoseBacklogFreesConnects() async throws {
        let directory = try TemporaryDirectory()
        let full = try FullBacklogListener(in: directory)
        let dialing = Task { try await SocketMonitor.dial(.unix(path: full.path), timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(100))   // let the dial start waiting (it connects either way)
        let first = full.acceptOne()
        defer { close(first) }
        let monitor = try await dialing.value
        let second = full.acceptOne()
        defer { close(second) }
        #expect(second >= 0)
        monitor.close()
    }

    @Test func listenWithNobodyConnectingTimesOutAndRemovesItsSocket() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("listen.sock")
        let error = await #expect(throws: QMPError.self) {
            try await SocketMonitor.listen(on: .unix(path: path), timeout: .milliseconds(100))
        }
        #expect(error?.code == .timeout)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func floodOfUnreadEventsNeverDelaysAReply() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            let command = try connection.readCommand()
            var flood = ""
            for number in 0..<50_000 {
                flood += #"{"event": "FLOOD", "data": {"n": \#(number)}, "timestamp": {"seconds": 1, "microseconds": 0}}"# + "\r\n"
            }
            connection.send(flood + #"{"return": {"after": "flood"}, "id": \#(command["id"]!.jsonText)}"# + "\r\n")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        let unread = monitor.events(bufferLimit: 100)
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        #expect(try await monitor.execute("query-status", timeout: .seconds(20))["after"] == "flood")
        #expect(unread.droppedCount == 50_000 - 100)
        let kept = unread.drain()
        #expect(kept.first?.data["n"] == 49_900)
        #expect(kept.last?.data["n"] == 49_999)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func droppedOrCancelledSubscriptionsUnregister() async throws {
        let peer = try ScriptedPeer { connection in try connection.expectEnd() }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        let kept = monitor.events()
        var dropped: EventSubscription? = monitor.events()
        let cancelled = monitor.events()
        #expect(monitor.core.subscriberCount == 3)
        dropped = nil
        cancelled.cancel()
        #expect(monitor.core.subscriberCount == 1)
        _ = (kept, dropped)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func deepNestingIsGarbageNotACrash() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            let command = try connection.readCommand()
            connection.send(String(repeating: "[", count: 100_000) + "\r\n")
            let nested = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
            connection.send(#"{"return": \#(nested), "id": \#(command["id"]!.jsonText)}"# + "\r\n")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        let value = try await monitor.execute("nested")
        #expect(value.arrayValue?.count == 1)
        #expect(monitor.protocolErrorCount == 1)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func listenReplacesAStaleSocketButNotALiveOne() async throws {
        // listen() dials the live socket to see it is alive, and hangs up.
        let live = try ScriptedPeer { connection in try connection.expectEnd() }
        defer { live.stop() }
        guard case .unix(let livePath) = live.address else { return }
        let busy = await #expect(throws: QMPError.self) {
            try await SocketMonitor.listen(on: live.address, timeout: .milliseconds(100))
        }
        #expect(busy?.code == .connectFailed)
        #expect(FileManager.default.fileExists(atPath: livePath))

        // A socket file nobody listens on any more, as a crashed process leaves it.
        let directory = try TemporaryDirectory()
        let stale = directory.file("stale.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(stale.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        #expect(bound == 0)
        let timedOut = await #expect(throws: QMPError.self) {
            try await SocketMonitor.listen(on: .unix(path: stale), timeout: .milliseconds(100))
        }
        #expect(timedOut?.code == .timeout)
        try await live.finish()
    }

    @Test func greetingAndRepliesArrivingOneByteAtATimeWork() async throws {
        let peer = try ScriptedPeer { connection in
            func trickle(_ text: String) {
                for byte in text.utf8 { connection.send([byte]) }
            }
            trickle(ScriptedPeer.greeting)
            let capabilities = try connection.readCommand()
            trickle(#"{"return": {}, "id": \#(capabilities["id"]!.jsonText)}"# + "\r\n")
            let command = try connection.readCommand()
            trickle(#"{"event": "E", "data": {}, "timestamp": {"seconds": 1, "microseconds": 2}}"# + "\n")
            trickle(#"{"return": {"bytes": "one at a time"}, "id": \#(command["id"]!.jsonText)}"# + "\r\n")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        let events = monitor.events()
        let greeting = try await monitor.connect(timeout: testHandshakeTimeout)
        #expect(greeting.version.package == "Debian 1:7.2+dfsg-7")
        #expect(try await monitor.execute("query-status")["bytes"] == "one at a time")
        #expect(try await events.next(timeout: .seconds(5))?.name == "E")
        await monitor.disconnect()
        try await peer.finish()
    }
}
