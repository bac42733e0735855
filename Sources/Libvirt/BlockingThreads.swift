import Dispatch
import FoundationEssentials
import QMP
import Synchronization

/// Threads for libvirt's blocking calls, so that none ever runs on the
/// cooperative pool.
///
/// ```swift
/// let opened = BlockingThreads.shared.start { api.connectOpen(uri) }
/// switch await opened.wait(timeout: .seconds(5)) { … }
/// ```
///
/// Each call gets a thread of its own: an idle one when there is one, a new
/// one otherwise, so a call that hangs (a hung QEMU holds its domain's job
/// lock with no limit) never delays another. A thread that finishes waits
/// for the next call; at most ``idleLimit`` wait, the others end.
final class BlockingThreads: Sendable {
    static let shared = BlockingThreads()

    /// The most idle threads kept waiting for work.
    let idleLimit = 4

    private let idle = Mutex<[Worker]>([])

    /// Runs `body` on a thread of its own and returns its result's completion.
    /// When nobody took the result (every waiter timed out, or the caller
    /// completed it first), `unclaimed` gets it so it can be released.
    func start<Value: Sendable>(
        _ body: @escaping @Sendable () -> Value, unclaimed: (@Sendable (Value) -> Void)? = nil
    ) -> Completion<Value> {
        let completion = Completion<Value>()
        submit {
            let value = body()
            if !completion.complete(value) { unclaimed?(value) }
        }
        return completion
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        if let worker = idle.withLock({ $0.popLast() }) {
            worker.hand(job)
        } else {
            let worker = Worker()
            System.startThread(named: "libvirt-call") { [self] in worker.run(first: job, pool: self) }
        }
    }

    /// Parks `worker` as idle; false when enough threads are idle already.
    fileprivate func park(_ worker: Worker) -> Bool {
        idle.withLock { idle in
            guard idle.count < idleLimit else { return false }
            idle.append(worker)
            return true
        }
    }
}

/// One thread of ``BlockingThreads``: runs a job, parks, is handed the next.
private final class Worker: Sendable {
    private let wake = DispatchSemaphore(value: 0)
    private let next = Mutex<(@Sendable () -> Void)?>(nil)

    func hand(_ job: @escaping @Sendable () -> Void) {
        next.withLock { $0 = job }
        wake.signal()
    }

    func run(first: @escaping @Sendable () -> Void, pool: BlockingThreads) {
        var job = first
        while true {
            job()
            guard pool.park(self) else { return }
            wake.wait()
            guard let handed = next.withLock({ slot -> (@Sendable () -> Void)? in
                defer { slot = nil }
                return slot
            }) else { return }
            job = handed
        }
    }
}
