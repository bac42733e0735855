import Synchronization

/// How a raced operation ended.
enum RaceOutcome<Value: Sendable>: Sendable {
    case finished(Value)
    case timedOut
    case cancelled
}

/// Runs `body` in its own task and returns as soon as it finishes, `timeout`
/// passes, or the calling task is cancelled, whichever is first; the loser is
/// cancelled and not waited for.
///
/// Not waiting for the loser is the point: an operation that ignores
/// cancellation (a blocking call, a peer that never answers) cannot hold up
/// a run past its deadline or a signal.
func race<Value: Sendable>(
    timeout: Duration?, _ body: @escaping @Sendable () async -> Value
) async -> RaceOutcome<Value> {
    // The first outcome wins; it may come before the continuation is stored.
    let slot = Mutex(RaceSlot<Value>())
    let finish: @Sendable (RaceOutcome<Value>) -> Void = { outcome in
        slot.withLock { slot in
            guard slot.outcome == nil else { return }
            slot.outcome = outcome
            slot.continuation?.resume(returning: outcome)
            slot.continuation = nil
        }
    }
    let worker = Task { finish(.finished(await body())) }
    let timer: Task<Void, Never>? = timeout.map { timeout in
        Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { finish(.timedOut) }
        }
    }
    let outcome = await withTaskCancellationHandler {
        await withCheckedContinuation { continuation in
            slot.withLock { slot in
                if let outcome = slot.outcome {
                    continuation.resume(returning: outcome)
                } else {
                    slot.continuation = continuation
                }
            }
            if Task.isCancelled { finish(.cancelled) }
        }
    } onCancel: {
        finish(.cancelled)
    }
    worker.cancel()
    timer?.cancel()
    return outcome
}

private struct RaceSlot<Value: Sendable> {
    var continuation: CheckedContinuation<RaceOutcome<Value>, Never>?
    var outcome: RaceOutcome<Value>?
}
