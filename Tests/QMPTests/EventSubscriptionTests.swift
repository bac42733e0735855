import Foundation
import Synchronization
import Testing
@testable import QMP

@Suite(.timeLimit(.minutes(1)))
struct EventSubscriptionTests {
    func event(_ number: Int) -> Event {
        Event(name: "E\(number)", timestamp: EventTimestamp(seconds: Int64(number), microseconds: 0))
    }

    @Test func dropsTheOldestPastTheLimitAndCountsThem() async throws {
        let subscription = EventSubscription(bufferLimit: 3) { _ in }
        for number in 1...5 { subscription.deliver(event(number)) }
        #expect(subscription.droppedCount == 2)
        #expect(subscription.drain().map(\.name) == ["E3", "E4", "E5"])
    }

    @Test func handsAnEventToAWaitingReader() async throws {
        let subscription = EventSubscription(bufferLimit: 10) { _ in }
        async let next = subscription.next(timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(20))
        subscription.deliver(event(1))
        #expect(try await next?.name == "E1")
    }

    @Test func waitTimesOut() async {
        let subscription = EventSubscription(bufferLimit: 10) { _ in }
        let error = await #expect(throws: QMPError.self) { try await subscription.next(timeout: .milliseconds(20)) }
        #expect(error?.code == .timeout)
        // A timed-out wait does not swallow the next event.
        subscription.deliver(event(1))
        #expect(subscription.drain().map(\.name) == ["E1"])
    }

    @Test func finishingKeepsBufferedEventsThenEnds() async throws {
        let subscription = EventSubscription(bufferLimit: 10) { _ in }
        subscription.deliver(event(1))
        subscription.finish(.connectionClosed())
        subscription.deliver(event(2))
        var names: [String] = []
        for await event in subscription { names.append(event.name) }
        #expect(names == ["E1"])
        #expect(subscription.closeReason?.code == .connectionClosed)
    }

    @Test func cancelEndsAWaitingReaderAndUnregisters() async throws {
        let unregistered = Mutex(false)
        let subscription = EventSubscription(bufferLimit: 10) { _ in unregistered.withLock { $0 = true } }
        async let next = subscription.next(timeout: nil)
        try await Task.sleep(for: .milliseconds(20))
        subscription.cancel()
        #expect(try await next == nil)
        #expect(unregistered.withLock { $0 })
        #expect(subscription.closeReason?.code == .cancelled)
    }

    @Test func cancellingTheReadingTaskReturnsNil() async throws {
        let subscription = EventSubscription(bufferLimit: 10) { _ in }
        let reader = Task { try await subscription.next(timeout: nil) }
        try await Task.sleep(for: .milliseconds(20))
        reader.cancel()
        #expect(try await reader.value == nil)
    }
}
