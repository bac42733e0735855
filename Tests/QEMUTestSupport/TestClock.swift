import QMP
import Synchronization

/// A ``DeadlineClock`` that moves only when the test says so.
///
/// ```swift
/// let clock = TestClock()
/// var options = MonitorOptions()
/// options.clock = clock
/// let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5), options: options)
/// // … a command with a 5 s timeout is pending …
/// clock.advance(by: .seconds(4.9))   // still pending
/// clock.advance(by: .seconds(0.2))   // fails with .timeout, before advance returns
/// ```
///
/// ``advance(by:)`` runs every action whose deadline it passes, in deadline
/// order (then in scheduling order), on the calling thread, with ``now`` set
/// to that action's deadline while it runs; actions those schedule within
/// the step run in the same call. So once `advance` returns, everything due
/// has fired, and a timed-out caller's continuation has been resumed. A
/// deadline scheduled at or before ``now`` runs at once, inside
/// ``schedule(at:_:)``, as a real clock would run it as soon as it could.
///
/// Instants start at the real `ContinuousClock.now` of creation and move
/// by hand from there.
package final class TestClock: DeadlineClock {
    private struct Entry {
        var deadline: ContinuousClock.Instant
        var sequence: UInt64
        var action: @Sendable () -> Void
    }

    private struct State {
        var now: ContinuousClock.Instant
        var entries: [Entry] = []
        var sequence: UInt64 = 0
    }

    private let state: Mutex<State>

    /// The instant the clock was made at (``elapsed`` counts from it).
    package let start: ContinuousClock.Instant

    package init() {
        let now = ContinuousClock.now
        start = now
        state = Mutex(State(now: now))
    }

    package var now: ContinuousClock.Instant { state.withLock { $0.now } }

    /// How far the clock has been advanced since it was made.
    package var elapsed: Duration { now - start }

    /// How many actions wait for their deadline.
    package var scheduledCount: Int { state.withLock { $0.entries.count } }

    /// The deadlines still to come, earliest first, as offsets from ``now``.
    package var scheduledDelays: [Duration] {
        state.withLock { state in state.entries.map { $0.deadline - state.now }.sorted() }
    }

    package func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) {
        let due = state.withLock { state -> Bool in
            if deadline <= state.now { return true }
            state.sequence += 1
            state.entries.append(Entry(deadline: deadline, sequence: state.sequence, action: action))
            return false
        }
        if due { action() }
    }

    /// Moves the clock forward by `duration`, running every action due on
    /// the way (see the type's description).
    package func advance(by duration: Duration) {
        precondition(duration >= .zero, "a test clock only moves forward")
        let target = now + duration
        while let entry = takeFirst(dueBy: target) {
            entry.action()
        }
        state.withLock { $0.now = Swift.max($0.now, target) }
    }

    /// Removes the earliest entry due by `target` and moves ``now`` to its deadline.
    private func takeFirst(dueBy target: ContinuousClock.Instant) -> Entry? {
        state.withLock { state -> Entry? in
            var best: Int?
            for index in state.entries.indices where state.entries[index].deadline <= target {
                if let current = best {
                    let (a, b) = (state.entries[index], state.entries[current])
                    if a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence) { best = index }
                } else {
                    best = index
                }
            }
            guard let best else { return nil }
            let entry = state.entries.remove(at: best)
            state.now = Swift.max(state.now, entry.deadline)
            return entry
        }
    }
}

/// Waits, without sleeping, until `condition` holds: yields to other tasks
/// between checks, for at most `limit` of real time.
/// - Returns: whether the condition came true in time.
@discardableResult
package func eventually(within limit: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        await Task.yield()
    }
    return true
}
