import Foundation
import Synchronization
import QEMUTestSupport
import QMP
import Testing
@testable import Runner

/// Waits on a target's event log, timed by a clock the tests advance by hand:
/// no test sleeps, and each one that needs a pending wait checks it is pending.
@Suite(.timeLimit(.minutes(1))) struct TargetEventsTests {
    /// Returns once `events` has `count` pending waits.
    private func waitersPending(_ events: TargetEvents, count: Int = 1) async {
        while await events.waiterCount < count { await Task.yield() }
    }

    @Test func waitIsSatisfiedByAnEventAlreadyReceived() async {
        let events = TargetEvents()
        await events.record(RecordedEvent(name: "STOP"))
        let outcome = await events.wait(for: EventQuery(names: ["STOP"]), by: 0, timeout: .seconds(30))
        guard case .taken(let event) = outcome else {
            Issue.record("expected the event, got \(outcome)")
            return
        }
        #expect(event.name == "STOP")
    }

    /// A wait pending through a 200,000-event burst takes the marker in its
    /// middle, and the log stays within its limit: each new event is offered to
    /// the pending waits alone, never the whole log again (that was quadratic:
    /// this test did not finish in its minute).
    @Test func aWaitTakesTheMarkerInTheMiddleOfALongBurst() async {
        let events = TargetEvents(limit: 10_000, clock: TestClock())
        async let outcome = events.wait(for: EventQuery(names: ["DEVICE_DELETED"]), by: 7, timeout: .seconds(30))
        await waitersPending(events)
        for index in 0..<200_000 {
            await events.record(RecordedEvent(name: index == 100_000 ? "DEVICE_DELETED" : (index % 2 == 0 ? "STOP" : "RESUME")))
        }
        guard case .taken(let event) = await outcome else {
            Issue.record("the marker was not taken")
            return
        }
        #expect(event.sequence == 100_000)
        #expect(await events.events.count <= 10_000)
        #expect(await events.dropped >= 190_000)
        #expect(await events.waiterCount == 0)
    }

    @Test func waitIsSatisfiedByAnEventArrivingLater() async {
        let events = TargetEvents()
        async let outcome = events.wait(for: EventQuery(names: ["RESUME"]), by: 1, timeout: .seconds(30))
        // Unrelated events first, then the one the wait wants.
        await waitersPending(events)
        await events.record(RecordedEvent(name: "STOP"))
        await events.record(RecordedEvent(name: "RESUME"))
        guard case .taken(let event) = await outcome else {
            Issue.record("expected the event")
            return
        }
        #expect(event.name == "RESUME")
        #expect(event.sequence == 1)
        #expect(await events.events.map(\.takenBy) == [nil, 1])
    }

    @Test func aWaitThatExpiresListsTheOtherEvents() async {
        let clock = TestClock()
        let events = TargetEvents(clock: clock)
        await events.record(RecordedEvent(name: "RESUME"))
        async let waited = events.wait(for: EventQuery(names: ["SHUTDOWN"]), by: 2, timeout: .seconds(5))
        await waitersPending(events)
        clock.advance(by: .seconds(4.9))
        #expect(await events.waiterCount == 1, "the wait ended before its timeout")
        clock.advance(by: .seconds(0.2))
        let outcome = await waited
        guard case .timedOut(let others) = outcome else {
            Issue.record("expected a timeout, got \(outcome)")
            return
        }
        #expect(others.map(\.name) == ["RESUME"])
    }

    @Test func aLostTargetEndsAPendingWait() async {
        let events = TargetEvents()
        async let outcome = events.wait(for: EventQuery(names: ["SHUTDOWN"]), by: 0, timeout: .seconds(30))
        await waitersPending(events)
        await events.close(reason: "QEMU exited with status 1")
        guard case .lost(let reason, _) = await outcome else {
            Issue.record("expected the wait to end with the loss")
            return
        }
        #expect(reason == "QEMU exited with status 1")
    }

    @Test func anEventReceivedBeforeTheLossStillSatisfiesAWait() async {
        let events = TargetEvents()
        await events.record(RecordedEvent(name: "SHUTDOWN"))
        await events.close(reason: "gone")
        let outcome = await events.wait(for: EventQuery(names: ["SHUTDOWN"]), by: 0, timeout: .seconds(30))
        guard case .taken = outcome else {
            Issue.record("expected the event, got \(outcome)")
            return
        }
    }

    @Test func cancellingTheWaitingTaskEndsTheWait() async {
        let events = TargetEvents()
        let task = Task { await events.wait(for: EventQuery(names: ["NEVER"]), by: 0, timeout: .seconds(60)) }
        await waitersPending(events)
        task.cancel()
        guard case .cancelled = await task.value else {
            Issue.record("expected cancellation")
            return
        }
    }

    @Test func eachRecordedEventIsReportedToTheObserver() async {
        let seen = Counter()
        let events = TargetEvents { _ in seen.increment() }
        await events.record(RecordedEvent(name: "A"))
        await events.record(RecordedEvent(name: "B"))
        #expect(seen.value == 2)
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
