import Foundation
import QEMUTestSupport
import Testing
import QMP

/// An engine without a socket, built only from the package APIs, publishes
/// replies and events the way ``SocketMonitor`` does.
@Suite struct EventPublisherTests {
    @Test func inMemoryEngineDeliversEventsThroughSubscriptions() async throws {
        let monitor: any Monitor = InMemoryMonitor { monitor, request in
            if request.command == "stop" { monitor.emit(name: "STOP", data: ["reason": "host-qmp-stop"]) }
            return .success(.object([:]))
        }
        let events = monitor.events()
        _ = try await monitor.connect(timeout: .seconds(1))
        try await monitor.execute("stop")
        let event = try await events.next(timeout: .seconds(5))
        #expect(event?.name == "STOP")
        #expect(event?.data["reason"] == "host-qmp-stop")
        monitor.close(reason: .peerExited("QEMU exited with status 0"))
        #expect(try await events.next(timeout: .seconds(5)) == nil)
        #expect(events.closeReason?.code == .peerExited)
        await #expect(throws: QMPError.self) { try await monitor.execute("cont") }
    }

    @Test func publisherKeepsEachSubscriptionsOwnBufferAndEndsThemAll() async throws {
        let publisher = EventPublisher()
        let first = publisher.subscribe(bufferLimit: 2)
        let second = publisher.subscribe(bufferLimit: 10)
        for number in 0..<3 {
            publisher.publish(Event(name: "E\(number)", timestamp: EventTimestamp(seconds: 0, microseconds: 0)))
        }
        #expect(first.drain().map(\.name) == ["E1", "E2"])
        #expect(first.droppedCount == 1)
        #expect(second.drain().map(\.name) == ["E0", "E1", "E2"])
        publisher.finish(.connectionClosed())
        #expect(publisher.subscriberCount == 0)
        let late = publisher.subscribe(bufferLimit: 1)
        #expect(late.closeReason?.code == .connectionClosed)
        #expect(try await first.next(timeout: nil) == nil)
    }

    @Test func replyAndEventReadFromMessagesWithPackageInitialisers() throws {
        #expect(Reply(message: ["return": ["running": true]]) == .success(["running": true]))
        #expect(Reply(message: ["error": ["class": "DeviceNotFound", "desc": "no"]])
                == .failure(QMPErrorReply(errorClass: "DeviceNotFound", description: "no")))
        #expect(Reply(message: ["id": 1]) == nil)
        let event = try #require(Event(message: ["event": "RESUME", "timestamp": ["seconds": 5, "microseconds": 6]], received: .distantPast))
        #expect(event.timestamp == EventTimestamp(seconds: 5, microseconds: 6))
    }
}
