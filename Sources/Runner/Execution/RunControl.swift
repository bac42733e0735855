import Synchronization

/// Which phase of a run is going on, and the signals that arrived
/// (``PlaybookRunner/interrupt(signal:)``): the first cancels startup or
/// the main steps; the `always` steps are cancelled only by a second one.
final class RunControl: Sendable {
    enum Phase: Sendable {
        case startup, main, always
    }

    private struct State {
        var phase: Phase?
        var task: Task<Void, Never>?
        var signals: [Int32] = []
    }

    private let state = Mutex(State())

    /// The first signal that arrived, or nil.
    var interruption: Int32? { state.withLock { $0.signals.first } }

    func signal(_ number: Int32) {
        let task: Task<Void, Never>? = state.withLock { state in
            state.signals.append(number)
            if state.phase == .always, state.signals.count < 2 { return nil }
            return state.task
        }
        task?.cancel()
    }

    /// Runs `body` as the current phase (a signal cancels its task) and returns what it returned;
    /// on `executor` when one is given (``PlaybookRunner/Setup/stepExecutor``).
    func phase<Value: Sendable>(
        _ phase: Phase, on executor: (any TaskExecutor)? = nil, _ body: @escaping @Sendable () async -> Value
    ) async -> Value? {
        let result = Mutex<Value?>(nil)
        let task = Task(executorPreference: executor) {
            result.withLock { $0 = nil }
            let value = await body()
            result.withLock { $0 = value }
        }
        let cancelNow: Bool = state.withLock { state in
            state.phase = phase
            state.task = task
            return phase == .always ? state.signals.count >= 2 : !state.signals.isEmpty
        }
        if cancelNow { task.cancel() }
        await task.value
        state.withLock { state in
            state.task = nil
            state.phase = nil
        }
        return result.withLock { $0 }
    }
}
