internal import CQMPShim
internal import Glibc

extension System {
    /// Starts a detached thread named `name` (the kernel keeps 15 bytes) that runs `body`, with a stack of `stackSize` bytes.
    ///
    /// A pthread of its own rather than Foundation's `Thread`, which only
    /// full Foundation has: the `exec` path links FoundationEssentials alone.
    /// Creation cannot fail short of resource exhaustion, where carrying on
    /// without the thread would hang its caller: that is a crash.
    package static func startThread(named name: String, stackSize: Int = 1 << 20, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(ThreadBody(name: name, body: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, stackSize)
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { context in
            let body = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
            // Named from inside: the name is the running thread's own.
            _ = qmp_name_current_thread(body.name)
            body.body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create: \(Errno(rawValue: result))")
    }

    /// Blocks the calling thread for good in sigsuspend(2) with no signal
    /// blocked, where libdispatch's `dispatch_main` leaves a main thread: the
    /// pool's threads block most signals, so the process's signals are taken
    /// here, a fatal one ending the process and a handled one returning to
    /// the wait. For a main thread whose work runs elsewhere until a call to
    /// ``exit(_:)``.
    package static func parkForever() -> Never {
        var none = sigset_t()
        sigemptyset(&none)
        while true { sigsuspend(&none) }
    }

    /// Blocks the calling thread for `duration` (nanosleep, resumed after signals).
    package static func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }
}

private final class ThreadBody {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}

/// A mutex with one condition variable: what `DeadlineTimer`'s thread sleeps
/// on, its timed waits on CLOCK_MONOTONIC (a change of the wall clock moves
/// no deadline).
package final class ConditionLock: @unchecked Sendable {
    // @unchecked Sendable: the pthread objects are shared by design; they are
    // allocated once, never moved, and freed in deinit.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    package init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    package func lock() { pthread_mutex_lock(mutex) }
    package func unlock() { pthread_mutex_unlock(mutex) }
    package func signal() { pthread_cond_signal(condition) }

    /// Waits (the lock held) until signalled.
    package func wait() { pthread_cond_wait(condition, mutex) }

    /// Waits (the lock held) until signalled or `timeout` has passed.
    package func wait(for timeout: Duration) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let (seconds, attoseconds) = timeout.components
        var nanoseconds = now.tv_nsec + Int(attoseconds / 1_000_000_000)
        var deadline = timespec(tv_sec: now.tv_sec + Int(seconds) + nanoseconds / 1_000_000_000, tv_nsec: 0)
        nanoseconds %= 1_000_000_000
        deadline.tv_nsec = nanoseconds
        _ = pthread_cond_timedwait(condition, mutex, &deadline)
    }
}
