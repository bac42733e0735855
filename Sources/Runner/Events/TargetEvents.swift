import FoundationEssentials
import QMP

/// A target's ``EventLog`` that waits: events are recorded as they arrive,
/// and a wait is satisfied from what was received or by what arrives before
/// its timeout.
///
/// Once the target is lost (``close(reason:)``), waits that nothing already
/// received satisfies end at once with the reason.
public actor TargetEvents {
    /// How a wait ended.
    public enum WaitOutcome: Sendable {
        case taken(RecordedEvent)
        /// Nothing matched in time; the untaken events of the considered range.
        case timedOut(others: [RecordedEvent])
        /// The target was lost before anything matched.
        case lost(reason: String, others: [RecordedEvent])
        case cancelled
    }

    private struct Waiter {
        var query: EventQuery
        var step: Int
        var continuation: CheckedContinuation<WaitOutcome, Never>
    }

    public private(set) var log: EventLog
    private var waiters: [Int: Waiter] = [:]
    private var nextWaiter = 0
    private var lostReason: String?
    private let onRecord: (@Sendable (RecordedEvent) -> Void)?
    private let clock: any DeadlineClock

    /// - Parameter limit: the most events kept (see ``EventLog``).
    /// - Parameter onRecord: called with each event as it is recorded (for streaming output).
    public init(limit: Int = 100_000, onRecord: (@Sendable (RecordedEvent) -> Void)? = nil) {
        self.init(limit: limit, clock: DeadlineTimer.shared, onRecord: onRecord)
    }

    /// The same, with the clock that times the waits out (tests advance one by hand).
    package init(limit: Int = 100_000, clock: any DeadlineClock, onRecord: (@Sendable (RecordedEvent) -> Void)? = nil) {
        self.log = EventLog(limit: limit)
        self.onRecord = onRecord
        self.clock = clock
    }

    /// How many waits are pending (for tests that must know a wait has begun).
    public var waiterCount: Int { waiters.count }

    /// Records an event and hands it to the first waiting step it satisfies.
    public func record(_ event: RecordedEvent) {
        let stored = log.record(event)
        onRecord?(stored)
        for id in waiters.keys.sorted() {
            guard let waiter = waiters[id] else { continue }
            if let taken = log.takeNewest(waiter.query, by: waiter.step) {
                waiters[id] = nil
                waiter.continuation.resume(returning: .taken(taken))
                break
            }
        }
    }

    /// Records events in the order given, one by one.
    public func record(_ batch: [RecordedEvent]) {
        for event in batch { record(event) }
    }

    /// Every event recorded so far (the oldest may have been dropped; see ``EventLog``).
    public var events: [RecordedEvent] { log.events }

    /// What the report can keep within `limit`, and how many events the log holds (see ``EventLog/reportable(limit:)``).
    public func reportable(limit: Int?) -> (events: [RecordedEvent], held: Int) {
        (log.reportable(limit: limit), log.events.count)
    }

    /// How many events the log dropped to stay within its limit.
    public var dropped: Int { log.dropped }

    /// Marks the target lost: pending and later waits that nothing received satisfies end with `reason`.
    public func close(reason: String) {
        guard lostReason == nil else { return }
        lostReason = reason
        let pending = waiters
        waiters = [:]
        for (_, waiter) in pending {
            waiter.continuation.resume(returning: .lost(reason: reason, others: log.untaken(since: waiter.query.since)))
        }
    }

    /// Takes the first untaken event matching `query`, waiting up to `timeout` for one.
    public func wait(for query: EventQuery, by step: Int, timeout: Duration) async -> WaitOutcome {
        if let taken = log.take(query, by: step) { return .taken(taken) }
        if let lostReason { return .lost(reason: lostReason, others: log.untaken(since: query.since)) }
        nextWaiter += 1
        let id = nextWaiter
        // Nothing to cancel: a wait that ended before its deadline is no longer there to expire.
        clock.schedule(at: clock.now + timeout) { [weak self] in
            Task { await self?.expire(id) }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: .cancelled)
                } else if let taken = log.take(query, by: step) {
                    // Recorded since the first look: a new event is offered to the pending waits only.
                    continuation.resume(returning: .taken(taken))
                } else {
                    waiters[id] = Waiter(query: query, step: step, continuation: continuation)
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func expire(_ id: Int) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.continuation.resume(returning: .timedOut(others: log.untaken(since: waiter.query.since)))
    }

    private func cancelWaiter(_ id: Int) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.continuation.resume(returning: .cancelled)
    }
}
