import Foundation
import Synchronization
import QMP
import Testing
@testable import Runner

@Suite struct EventLogTests {
    private func event(_ name: String, _ data: JSONObject = [:]) -> RecordedEvent {
        RecordedEvent(name: name, data: data)
    }

    @Test func recordsEventsInArrivalOrderWithSequenceNumbers() {
        var log = EventLog()
        log.record(event("STOP"))
        log.record(event("RESUME"))
        #expect(log.events.map(\.name) == ["STOP", "RESUME"])
        #expect(log.events.map(\.sequence) == [0, 1])
        #expect(log.count == 2)
    }

    @Test func waitTakesAnEventThatArrivedBeforeItBegan() {
        var log = EventLog()
        log.record(event("DEVICE_DELETED", ["device": "tablet0"]))
        let taken = log.take(EventQuery(names: ["DEVICE_DELETED"]), by: 3)
        #expect(taken?.name == "DEVICE_DELETED")
        #expect(taken?.takenBy == 3)
        #expect(log.events[0].takenBy == 3)
    }

    @Test func anEventIsTakenByOneWaitOnly() {
        var log = EventLog()
        log.record(event("STOP"))
        #expect(log.take(EventQuery(names: ["STOP"]), by: 1) != nil)
        #expect(log.take(EventQuery(names: ["STOP"]), by: 2) == nil)
    }

    @Test func takesTheFirstUntakenMatchInArrivalOrder() {
        var log = EventLog()
        log.record(event("STOP"))
        log.record(event("STOP"))
        log.record(event("STOP"))
        #expect(log.take(EventQuery(names: ["STOP"]), by: 1)?.sequence == 0)
        #expect(log.take(EventQuery(names: ["STOP"]), by: 2)?.sequence == 1)
        #expect(log.events.map(\.takenBy) == [1, 2, nil])
    }

    @Test func dataThatDoesNotMatchIsLeftForLaterWaits() {
        var log = EventLog()
        log.record(event("DEVICE_DELETED", ["device": "a"]))
        log.record(event("DEVICE_DELETED", ["device": "b"]))
        let wantsB = EventQuery(names: ["DEVICE_DELETED"]) { $0.data["device"] == "b" }
        #expect(log.take(wantsB, by: 1)?.sequence == 1)
        #expect(log.take(EventQuery(names: ["DEVICE_DELETED"]), by: 2)?.data["device"] == "a")
    }

    @Test func anyOfSeveralNamesSatisfiesAWait() {
        var log = EventLog()
        log.record(event("RESUME"))
        log.record(event("SHUTDOWN"))
        let taken = log.take(EventQuery(names: ["SHUTDOWN", "POWERDOWN"]), by: 0)
        #expect(taken?.name == "SHUTDOWN")
    }

    @Test func sinceConsidersOnlyEventsReceivedAfterTheStepWasSent() {
        let sent = Date(timeIntervalSince1970: 1000)
        var log = EventLog()
        log.record(RecordedEvent(name: "STOP", received: sent - 0.5))
        log.record(RecordedEvent(name: "STOP", received: sent + 0.5))
        #expect(log.take(EventQuery(names: ["STOP"], since: sent), by: 5)?.sequence == 1)
        #expect(log.events[0].takenBy == nil)
    }

    @Test func sinceOrdersByReceiveTimeNotByLogPosition() {
        // An event read before the command was sent but logged after the mark still does not count.
        let sent = Date(timeIntervalSince1970: 1000)
        var log = EventLog()
        log.record(RecordedEvent(name: "STOP", received: sent - 0.001))
        #expect(log.take(EventQuery(names: ["STOP"], since: sent), by: 5) == nil)
    }

    @Test func untakenListsWhatNoWaitTookSinceATime() {
        let start = Date(timeIntervalSince1970: 1000)
        var log = EventLog()
        log.record(RecordedEvent(name: "A", received: start))
        log.record(RecordedEvent(name: "B", received: start + 1))
        log.record(RecordedEvent(name: "C", received: start + 2))
        _ = log.take(EventQuery(names: ["B"]), by: 0)
        #expect(log.untaken(since: nil).map(\.name) == ["A", "C"])
        #expect(log.untaken(since: start + 2).map(\.name) == ["C"])
        #expect(log.untaken(since: start + 9).isEmpty)
    }

    @Test func recordIgnoresATakerAndSequenceFromTheCaller() {
        var log = EventLog()
        let stored = log.record(RecordedEvent(sequence: 42, name: "X", takenBy: 7))
        #expect(stored.sequence == 0)
        #expect(stored.takenBy == nil)
    }
}

@Suite(.timeLimit(.minutes(1))) struct TargetEventsTests {
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

    @Test func waitIsSatisfiedByAnEventArrivingLater() async {
        let events = TargetEvents()
        async let outcome = events.wait(for: EventQuery(names: ["RESUME"]), by: 1, timeout: .seconds(30))
        // Unrelated events first, then the one the wait wants.
        try? await Task.sleep(for: .milliseconds(20))
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
        let events = TargetEvents()
        await events.record(RecordedEvent(name: "RESUME"))
        let outcome = await events.wait(for: EventQuery(names: ["SHUTDOWN"]), by: 2, timeout: .milliseconds(50))
        guard case .timedOut(let others) = outcome else {
            Issue.record("expected a timeout, got \(outcome)")
            return
        }
        #expect(others.map(\.name) == ["RESUME"])
    }

    @Test func aLostTargetEndsAPendingWait() async {
        let events = TargetEvents()
        async let outcome = events.wait(for: EventQuery(names: ["SHUTDOWN"]), by: 0, timeout: .seconds(30))
        try? await Task.sleep(for: .milliseconds(20))
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
        try? await Task.sleep(for: .milliseconds(20))
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

@Suite(.timeLimit(.minutes(1))) struct RaceTests {
    @Test func returnsTheBodysValueWhenItFinishesFirst() async {
        guard case .finished(let value) = await race(timeout: .seconds(30), { 42 }) else {
            Issue.record("expected the value")
            return
        }
        #expect(value == 42)
    }

    @Test func timesOutWithoutWaitingForABodyThatIgnoresCancellation() async {
        let outcome = await race(timeout: .milliseconds(50)) { () async -> Int in
            // Ignores cancellation: a blocking peer.
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: 1)
                    continuation.resume(returning: 1)
                }
            }
        }
        guard case .timedOut = outcome else {
            Issue.record("expected a timeout, got \(outcome)")
            return
        }
    }

    @Test func cancellingTheCallerEndsTheRace() async {
        let task = Task { await race(timeout: nil) { try? await Task.sleep(for: .seconds(60)) } }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        guard case .cancelled = await task.value else {
            Issue.record("expected cancellation")
            return
        }
    }
}

@Suite struct EventLogLimitTests {
    @Test func dropsTheOldestEventsPastTheLimitAndCountsThem() {
        var log = EventLog(limit: 10)
        for index in 0..<25 { log.record(RecordedEvent(name: "E\(index)")) }
        #expect(log.events.count <= 10)
        #expect(log.dropped + log.events.count == 25)
        #expect(log.events.last?.name == "E24")
        #expect(log.events.last?.sequence == 24)
        #expect(log.count == 25)
        // Waits still work on what is kept.
        #expect(log.take(EventQuery(names: ["E24"]), by: 0)?.sequence == 24)
    }
}
