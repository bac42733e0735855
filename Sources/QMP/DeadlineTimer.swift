import FoundationEssentials

/// Runs actions at deadlines, on one thread shared by every monitor: the
/// real ``DeadlineClock``, on `ContinuousClock`.
///
/// ```swift
/// DeadlineTimer.shared.schedule(after: .seconds(5)) { print("late") }
/// ```
///
/// Cheaper than a task per command: scheduling is a heap insert under a
/// lock, and the thread is woken only when the new deadline is the earliest.
/// Actions run up to ``slack`` late. There is no cancellation: an action must check whether it still has
/// anything to do (a command whose reply came has left its pending table).
/// Actions run on the timer thread and must be short and never block.
package final class DeadlineTimer: DeadlineClock, @unchecked Sendable {
    // @unchecked Sendable: `heap`, `sequence` and `started` are read and
    // written only while `condition` is locked.

    package static let shared = DeadlineTimer()

    /// How late an action may run, at most (plus scheduling delay).
    static let slack = Duration.milliseconds(2)

    private struct Entry {
        var deadline: ContinuousClock.Instant
        var sequence: UInt64
        var action: @Sendable () -> Void

        func isEarlier(than other: Entry) -> Bool {
            deadline < other.deadline || (deadline == other.deadline && sequence < other.sequence)
        }
    }

    private let condition = ConditionLock()
    private var heap: [Entry] = []
    private var sequence: UInt64 = 0
    private var started = false

    /// `ContinuousClock.now`.
    package var now: ContinuousClock.Instant { ContinuousClock.now }

    /// Runs `action` once `delay` has passed.
    package func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        schedule(at: ContinuousClock.now + delay, action)
    }

    /// Runs `action` once `deadline` has passed (up to ``slack`` late).
    package func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) {
        condition.lock()
        sequence += 1
        push(Entry(deadline: deadline, sequence: sequence, action: action))
        let isEarliest = heap[0].sequence == sequence
        if !started {
            started = true
            System.startThread(named: "qmp-deadlines") { [self] in run() }
        }
        condition.unlock()
        if isEarliest { condition.signal() }
    }

    private func run() {
        condition.lock()
        while true {
            guard let first = heap.first else {
                condition.wait()
                continue
            }
            let now = ContinuousClock.now
            if first.deadline <= now {
                let entry = popFirst()
                condition.unlock()
                entry.action()
                condition.lock()
            } else {
                // A little slack lets one wake-up fire a batch of deadlines
                // instead of one wake-up per command under load.
                condition.wait(for: first.deadline - now + Self.slack)
            }
        }
    }

    // MARK: - Binary heap

    private func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].isEarlier(than: heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func popFirst() -> Entry {
        let first = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].isEarlier(than: heap[smallest]) { smallest = left }
                if right < heap.count, heap[right].isEarlier(than: heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
