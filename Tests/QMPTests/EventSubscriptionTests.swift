import Foundation
import QEMUTestSupport
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

    /// The reader is waiting (not yet arrived, which the buffer would also
    /// satisfy) when the event comes, and gets it without it being buffered.
    @Test func handsAnEventToAWaitingReader() async throws {
        let subscription = EventSubscription(bufferLimit: 10) { _ in }
        async let next = subscription.next(timeout: nil)
        #expect(await eventually { subscription.waiterCount == 1 })
        subscription.deliver(event(1))
        #expect(subscription.waiterCount == 0)
        #expect(subscription.drain().isEmpty)
        #expect(try await next?.name == "E1")
    }

    @Test func waitTimesOutAtItsDeadlineAndNotBefore() async throws {
        let clock = TestClock()
        let subscription = EventSubscription(bufferLimit: 10, clock: clock) { _ in }
        let waiting = Task { () -> QMPError? in
            do throws(QMPError) {
                _ = try await subscription.next(timeout: .seconds(5))
                return nil
            } catch {
                return error
            }
        }
        #expect(await eventually { subscription.waiterCount == 1 })
        clock.advance(by: .seconds(4.9))
        #expect(subscription.waiterCount == 1)
        clock.advance(by: .seconds(0.2))
        #expect(subscription.waiterCount == 0)
        let error = await waiting.value
        #expect(error?.code == .timeout)
        #expect(error?.description == "no event arrived within 5s")
        // A timed-out wait does not swallow the next event.
        subscription.deliver(event(1))
        #expect(subscription.drain().map(\.name) == ["E1"])
    }

    /// An event that comes in time wins; its wait's deadline, when it
    /// comes, finds nobody to fail.
    @Test func eventBeforeTheDeadlineWinsAndTheDeadlineFindsNobody() async throws {
        let clock = TestClock()
        let subscription = EventSubscription(bufferLimit: 10, clock: clock) { _ in }
        async let next = subscription.next(timeout: .seconds(5))
        #expect(await eventually { subscription.waiterCount == 1 })
        clock.advance(by: .seconds(4.9))
        subscription.deliver(event(1))
        #expect(try await next?.name == "E1")
        async let second = subscription.next(timeout: .seconds(5))
        #expect(await eventually { subscription.waiterCount == 1 })
        clock.advance(by: .seconds(0.2))      // the first wait's deadline passes
        #expect(subscription.waiterCount == 1)
        subscription.deliver(event(2))
        #expect(try await second?.name == "E2")
    }

    @Test func zeroTimeoutWithNothingBufferedTimesOutAtOnce() async throws {
        let clock = TestClock()
        let subscription = EventSubscription(bufferLimit: 10, clock: clock) { _ in }
        let error = await #expect(throws: QMPError.self) { try await subscription.next(timeout: .zero) }
        #expect(error?.code == .timeout)
        subscription.deliver(event(1))
        #expect(try await subscription.next(timeout: .zero)?.name == "E1")
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
        #expect(await eventually { subscription.waiterCount == 1 })
        subscription.cancel()
        #expect(try await next == nil)
        #expect(unregistered.withLock { $0 })
        #expect(subscription.closeReason?.code == .cancelled)
    }

    @Test func cancellingTheReadingTaskReturnsNil() async throws {
        let subscription = EventSubscription(bufferLimit: 10) { _ in }
        let reader = Task { try await subscription.next(timeout: nil) }
        #expect(await eventually { subscription.waiterCount == 1 })
        reader.cancel()
        #expect(try await reader.value == nil)
        #expect(subscription.waiterCount == 0)
        #expect(subscription.closeReason == nil)   // only the read ended
    }
}
