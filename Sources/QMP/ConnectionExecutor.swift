import Synchronization

/// A task executor that runs jobs on one connection's reader thread.
///
/// ```swift
/// try await withTaskExecutorPreference(monitor.executor) {
///     for _ in 0..<1000 { try await monitor.execute("query-status") }
/// }
/// ```
///
/// By default a reply is read on the reader thread and its caller resumes
/// on the cooperative pool: two threads wake per command. A task that
/// prefers this executor resumes on the reader thread itself, right after
/// the reply is read, as a C client blocked in `read(2)` would: one wake-up
/// per command, which halves the scheduling cost and the latency QEMU does
/// not account for. Events reach subscribers the same way.
///
/// Jobs run between reads, so while one runs nothing is read: code running
/// here must be short and must never block (no blocking I/O, no waiting on
/// a lock another thread holds while waiting for this connection). Use it
/// for tight command loops, not for heavy work. Sending a command from
/// here is fine: a send blocks only when the peer stops reading for a
/// socket buffer's worth of commands, and QEMU keeps reading while it
/// buffers its own output. Once the connection has closed, jobs run on the
/// global concurrent executor instead. `qmpbook run` runs the steps of a
/// one-target run here (their blocking work has threads of its own).
public final class ConnectionExecutor: TaskExecutor, Sendable {
    private struct Queue {
        var jobs: [UnownedJob] = []
        /// What ``ConnectionExecutor/whenIdle(_:)`` was given: run when `jobs` is empty.
        var idleWork: [@Sendable () -> Void] = []
        /// The reader is (about to be) blocked in poll(2): an enqueue must signal.
        var readerIdle = false
        /// The reader has ended (or never can run jobs): jobs go to the global executor.
        var stopped = false
    }

    private let queue: Mutex<Queue>
    /// A socket pair that wakes the reader from poll(2): the reader polls
    /// `wakeDescriptor`, an enqueue writes a byte to `signalDescriptor`.
    /// Both -1 when none could be made.
    let wakeDescriptor: Int32
    private let signalDescriptor: Int32

    init() {
        switch System.socketpair() {
        case .success(let (wake, signal)):
            (wakeDescriptor, signalDescriptor) = (wake, signal)
            queue = Mutex(Queue())
        case .failure:
            // Without a way to wake the reader, every job runs on the global executor.
            (wakeDescriptor, signalDescriptor) = (-1, -1)
            queue = Mutex(Queue(stopped: true))
        }
    }

    deinit {
        if wakeDescriptor >= 0 {
            _ = System.close(wakeDescriptor)
            _ = System.close(signalDescriptor)
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let (accepted, wake) = queue.withLock { queue -> (Bool, Bool) in
            guard !queue.stopped else { return (false, false) }
            queue.jobs.append(job)
            defer { queue.readerIdle = false }
            return (true, queue.readerIdle)
        }
        if !accepted {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        } else if wake {
            _ = System.sendWakeup(signalDescriptor)
        }
    }

    /// Runs `work` on the reader thread once no job is queued, right before
    /// the reader waits for the socket: for what can wait for the
    /// connection's next quiet moment, such as writing down what one reply
    /// said while the next command is on its way to the peer. Once the
    /// connection has closed, `work` runs at once, on the caller's thread.
    /// The same rules hold as for jobs: short, and never blocking.
    ///
    /// ```swift
    /// monitor.executor.whenIdle { log.flush() }
    /// ```
    public func whenIdle(_ work: @escaping @Sendable () -> Void) {
        let (accepted, wake) = queue.withLock { queue -> (Bool, Bool) in
            guard !queue.stopped else { return (false, false) }
            queue.idleWork.append(work)
            defer { queue.readerIdle = false }
            return (true, queue.readerIdle)
        }
        if !accepted {
            work()
        } else if wake {
            _ = System.sendWakeup(signalDescriptor)
        }
    }

    // MARK: - The reader's side

    /// Whether the reader should poll the wake descriptor beside the socket.
    var isActive: Bool { wakeDescriptor >= 0 }

    /// Runs queued jobs until none is left, then the idle work (and the
    /// jobs it queues). `batch` and `idle` are the reader's spare arrays,
    /// swapped with the queue's so that none allocates per batch.
    func runQueuedJobs(_ batch: inout [UnownedJob], idle: inout [@Sendable () -> Void]) {
        while true {
            queue.withLock { queue in
                swap(&batch, &queue.jobs)
                if batch.isEmpty { swap(&idle, &queue.idleWork) }
            }
            if batch.isEmpty, idle.isEmpty { return }
            let executor = asUnownedTaskExecutor()
            for job in batch { job.runSynchronously(on: executor) }
            for work in idle { work() }
            batch.removeAll(keepingCapacity: true)
            idle.removeAll(keepingCapacity: true)
        }
    }

    /// Called by the reader before it blocks. Returns false when a job is
    /// queued (run it first); true when an enqueue from now on will signal
    /// the wake descriptor.
    func prepareToWait() -> Bool {
        queue.withLock { queue in
            guard queue.jobs.isEmpty, queue.idleWork.isEmpty else { return false }
            queue.readerIdle = true
            return true
        }
    }

    /// Called by the reader after poll(2) returns; `signalled` when the wake
    /// descriptor was readable (its bytes are then discarded).
    func finishWaiting(signalled: Bool) {
        queue.withLock { $0.readerIdle = false }
        if signalled { System.drainWakeups(wakeDescriptor) }
    }

    /// The reader has ended (or will never run): hands queued and later jobs
    /// to the global concurrent executor, and runs the idle work.
    func stop() {
        let (jobs, idle) = queue.withLock { queue -> ([UnownedJob], [@Sendable () -> Void]) in
            queue.stopped = true
            defer { (queue.jobs, queue.idleWork) = ([], []) }
            return (queue.jobs, queue.idleWork)
        }
        for job in jobs { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
        for work in idle { work() }
    }
}
