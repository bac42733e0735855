import QMP
import Synchronization

/// A value that arrives once, from another thread, and any number of tasks
/// waiting for it, each with its own timeout.
///
/// ```swift
/// let reply = Completion<Int>()
/// Thread { _ = reply.complete(42) }.start()
/// if case .value(let answer) = await reply.wait(timeout: .seconds(1)) { print(answer) }
/// ```
///
/// The first ``complete(_:)`` wins; a later one returns false, so whoever
/// produced a value nobody took can release it.
final class Completion<Value: Sendable>: Sendable {
    enum Outcome: Sendable {
        case value(Value)
        case timedOut
        case cancelled
    }

    private struct State {
        var value: Value?
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Outcome, Never>] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// Sets the value and wakes every waiter; false when it was already set.
    @discardableResult
    func complete(_ value: Value) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<Outcome, Never>]? in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: .value(value)) }
        return true
    }

    /// The value, once set; nil before.
    var value: Value? { state.withLock { $0.value } }

    /// Waits for the value, at most `timeout` (forever when nil), or until the task is cancelled.
    func wait(timeout: Duration?) async -> Outcome {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let ready = state.withLock { state -> Value? in
                    if let value = state.value { return value }
                    state.waiters[id] = continuation
                    return nil
                }
                if let ready {
                    continuation.resume(returning: .value(ready))
                    return
                }
                if Task.isCancelled { resume(id, with: .cancelled) }
                if let timeout {
                    DeadlineTimer.shared.schedule(after: timeout) { [weak self] in self?.resume(id, with: .timedOut) }
                }
            }
        } onCancel: {
            resume(id, with: .cancelled)
        }
    }

    private func resume(_ id: UInt64, with outcome: Outcome) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.resume(returning: outcome)
    }
}
