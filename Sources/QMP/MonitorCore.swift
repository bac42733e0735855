import FoundationEssentials
import Logging
import Synchronization

/// A reply as it came off the socket: the raw line (only when the caller
/// asked for it) and the parsed message.
struct ReceivedReply: Sendable {
    var bytes: [UInt8]?
    var message: JSONObject
    var reply: Reply
}

/// The state of one connection, shared by ``SocketMonitor`` (the callers'
/// side) and the reader thread.
///
/// The reader thread holds the core, not the monitor, so dropping the last
/// ``SocketMonitor`` reference closes the connection. All mutable state is
/// behind one `Mutex`; continuations are resumed outside it.
final class MonitorCore: Sendable {
    /// Unchecked: each is resumed exactly once, by whoever removes its
    /// ``Pending`` from `state.pending` under the lock (the reply, the
    /// deadline check, cancellation, a failed send, or the close). The
    /// checked kind allocates a canary per command.
    typealias ReplyContinuation = UnsafeContinuation<Result<ReceivedReply, QMPError>, Never>
    typealias GreetingContinuation = CheckedContinuation<Result<Greeting, QMPError>, Never>

    let connection: SocketConnection
    let options: MonitorOptions
    /// Measures and fires the deadlines (``MonitorOptions/clock``).
    let clock: any DeadlineClock
    /// Runs the jobs of tasks that prefer it on the reader thread.
    let executor = ConnectionExecutor()
    /// Feeds the event subscriptions.
    let publisher: EventPublisher
    private let state: Mutex<State>
    private let readerThread = Mutex<UInt?>(nil)

    private struct Pending {
        var continuation: ReplyContinuation
        var command: String
        /// Whether the caller wants the raw reply line (``SocketMonitor/run(_:timeout:)``).
        var wantsBytes: Bool
        /// When the command times out, and after how long (for the message).
        var deadline: ContinuousClock.Instant
        var timeout: Duration
    }

    private enum ReaderPhase {
        case notStarted, running, finished
    }

    private struct State {
        var nextID: Int64 = 1
        var pending: [Int64: Pending] = [:]
        /// When the next deadline check is scheduled on the ``clock``:
        /// at or before the earliest pending deadline, so one timer entry
        /// covers every command sent after it (see ``checkDeadlines()``).
        var nextCheck: ContinuousClock.Instant?
        var greeting: Greeting?
        var nextWaiter: UInt64 = 0
        var greetingWaiters: [UInt64: GreetingContinuation] = [:]
        var closed: QMPError?
        var protocolErrors = 0
        /// While above zero, garbage is dropped uncounted (a guest agent being resynchronised).
        var discardingGarbage = 0
        var reader = ReaderPhase.notStarted
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Which peer this is: QEMU's monitor (a greeting first) or a guest agent.
    let dialect: MonitorDialect

    init(connection: SocketConnection, options: MonitorOptions, dialect: MonitorDialect = .qmp) {
        self.connection = connection
        self.options = options
        self.clock = options.clock
        self.publisher = EventPublisher(clock: options.clock)
        self.dialect = dialect
        self.state = Mutex(State())
    }

    var greeting: Greeting? { state.withLock { $0.greeting } }
    var protocolErrorCount: Int { state.withLock { $0.protocolErrors } }
    var closeReason: QMPError? { state.withLock { $0.closed } }
    /// How many commands wait for a reply (for tests).
    var pendingCount: Int { state.withLock { $0.pending.count } }
    /// How many callers wait for the greeting (for tests).
    var greetingWaiterCount: Int { state.withLock { $0.greetingWaiters.count } }
    /// How many subscriptions are registered (for tests).
    var subscriberCount: Int { publisher.subscriberCount }

    // MARK: - Callers

    func subscribe(bufferLimit: Int) -> EventSubscription {
        let subscription = publisher.subscribe(bufferLimit: bufferLimit)
        startReader()
        return subscription
    }

    func awaitGreeting(timeout: Duration) async throws(QMPError) -> Greeting {
        startReader()
        let deadline = clock.now + timeout
        let waiterID = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: GreetingContinuation) in
                let immediate = state.withLock { state -> Result<Greeting, QMPError>? in
                    if let greeting = state.greeting { return .success(greeting) }
                    if let closed = state.closed { return .failure(closed) }
                    state.greetingWaiters[waiterID] = continuation
                    return nil
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                    return
                }
                if Task.isCancelled { failGreetingWaiter(waiterID, QMPError(.cancelled, "waiting for the greeting was cancelled")) }
                clock.schedule(at: deadline) { [weak self] in
                    self?.failGreetingWaiter(waiterID, QMPError(.timeout, "QEMU sent no QMP greeting within \(timeout.readableDescription)"))
                }
            }
        } onCancel: {
            failGreetingWaiter(waiterID, QMPError(.cancelled, "waiting for the greeting was cancelled"))
        }
        return try result.get()
    }

    private func failGreetingWaiter(_ id: UInt64, _ error: QMPError) {
        let continuation = state.withLock { $0.greetingWaiters.removeValue(forKey: id) }
        continuation?.resume(returning: .failure(error))
    }

    func setHandshake(_ greeting: Greeting) {
        state.withLock { $0.greeting = greeting }
    }

    /// Sends `message` (without an id: one is added) and waits for its reply.
    /// With `wantsBytes`, the reply's raw line is kept in ``ReceivedReply/bytes``.
    /// With `prefix`, those bytes go first in the same send (a guest agent's 0xFF reset).
    func send(_ message: JSONObject, name: String, passing fd: Int32?, timeout: Duration?, wantsBytes: Bool = false,
              prefix: [UInt8] = []) async throws(QMPError) -> ReceivedReply {
        if fd != nil, !connection.isUnix {
            throw QMPError(.unsupported, "\(name): passing a file descriptor needs a unix socket, not TCP", command: name)
        }
        startReader()
        let timeout = timeout ?? options.defaultCommandTimeout
        let id = state.withLock { state -> Int64 in
            defer { state.nextID += 1 }
            return state.nextID
        }
        // The id goes last, written before the closing brace: cheaper than
        // adding it to the object, which would copy both of its arrays.
        var bytes = prefix
        bytes.reserveCapacity(prefix.count + 96)
        JSONValue.object(message).write(to: &bytes, indent: nil, level: 0)
        bytes.removeLast()
        bytes.append(contentsOf: (message.isEmpty ? #""id":"# : #","id":"#).utf8)
        JSONValue.writeInteger(id, to: &bytes)
        // A newline after each command: QEMU does not need it, but line-based peers do.
        bytes.append(contentsOf: "}\n".utf8)
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: ReplyContinuation) in
                let now = clock.now
                let deadline = now + timeout
                let (closed, scheduleCheck) = state.withLock { state -> (QMPError?, Bool) in
                    if let closed = state.closed { return (closed, false) }
                    state.pending[id] = Pending(continuation: continuation, command: name, wantsBytes: wantsBytes,
                                                deadline: deadline, timeout: timeout)
                    // A check still to come at or before this deadline covers it.
                    if let next = state.nextCheck, next > now, next <= deadline { return (nil, false) }
                    state.nextCheck = deadline
                    return (nil, true)
                }
                if let closed {
                    continuation.resume(returning: .failure(closed))
                    return
                }
                if scheduleCheck {
                    clock.schedule(at: deadline) { [weak self] in self?.checkDeadlines() }
                }
                if Task.isCancelled {
                    complete(id, with: .failure(QMPError(.cancelled, "\(name) was cancelled", command: name)))
                    return
                }
                if case .failure(let errno) = connection.send(bytes, passing: fd) {
                    let error: QMPError
                    if errno == .badDescriptor && fd != nil {
                        error = QMPError(.invalidCommand, "\(name): cannot pass file descriptor \(fd ?? -1): \(errno)", command: name)
                    } else {
                        error = closeReason ?? QMPError(.connectionClosed, "\(name): sending on the QMP connection failed: \(errno)", command: name)
                    }
                    complete(id, with: .failure(error))
                }
            }
        } onCancel: {
            complete(id, with: .failure(QMPError(.cancelled, "\(name) was cancelled", command: name)))
        }
        return try result.get()
    }

    /// Runs on the clock's thread: fails every command past its deadline
    /// and schedules the next check for the earliest one left. Commands
    /// with the same timeout have increasing deadlines, so a steady stream
    /// of them needs one timer entry per timeout period, not one each.
    private func checkDeadlines() {
        let now = clock.now
        let (expired, next) = state.withLock { state -> ([Pending], ContinuousClock.Instant?) in
            var expired: [Pending] = []
            var earliest: ContinuousClock.Instant?
            for (id, pending) in state.pending {
                if pending.deadline <= now {
                    expired.append(pending)
                    state.pending[id] = nil
                } else if earliest.map({ pending.deadline < $0 }) ?? true {
                    earliest = pending.deadline
                }
            }
            guard let earliest else {
                if let next = state.nextCheck, next <= now { state.nextCheck = nil }
                return (expired, nil)
            }
            if let next = state.nextCheck, next > now, next <= earliest { return (expired, nil) }
            state.nextCheck = earliest
            return (expired, earliest)
        }
        if let next {
            clock.schedule(at: next) { [weak self] in self?.checkDeadlines() }
        }
        for pending in expired {
            let name = pending.command
            pending.continuation.resume(returning: .failure(QMPError(.timeout, "\(name) got no reply within \(pending.timeout.readableDescription)", command: name)))
        }
    }

    private func complete(_ id: Int64, with result: Result<ReceivedReply, QMPError>) {
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
        pending.continuation.resume(returning: result)
    }

    /// Drops garbage uncounted until as many ``endDiscardingGarbage()`` calls:
    /// what a guest agent sends before its sync reply is not a protocol error.
    func beginDiscardingGarbage() {
        state.withLock { $0.discardingGarbage += 1 }
    }

    func endDiscardingGarbage() {
        state.withLock { $0.discardingGarbage = max(0, $0.discardingGarbage - 1) }
    }

    /// Sends raw command bytes (an object with `execute`) and returns the
    /// raw reply line, with the caller's own `id` put back when it had one.
    /// - Throws: ``QMPError/Code/invalidCommand`` for bytes that are not a
    ///   command, ``QMPError/Code/commandFailed`` for an error reply, or what ``send`` throws.
    func runRaw(_ command: [UInt8], passing fd: Int32?, timeout: Duration?) async throws(QMPError) -> [UInt8] {
        guard case .object(var message)? = try? JSONValue(parsing: command) else {
            throw QMPError(.invalidCommand, "the command is not a JSON object: \(MessageRouter.excerpt(command[...]))")
        }
        guard let name = message["execute"]?.stringValue ?? message["exec-oob"]?.stringValue else {
            throw QMPError(.invalidCommand, "the command has no 'execute' member: \(MessageRouter.excerpt(command[...]))")
        }
        let callerID = message["id"]
        message["id"] = nil
        let received = try await send(message, name: name, passing: fd, timeout: timeout, wantsBytes: callerID == nil)
        if case .failure(let error) = received.reply {
            throw QMPError.commandFailed(error, command: name)
        }
        if callerID == nil, let bytes = received.bytes { return bytes }
        var reply = received.message
        reply["id"] = callerID
        return JSONValue.object(reply).jsonBytes
    }

    /// Marks the connection closed with `reason`, fails everything waiting,
    /// and wakes the reader so it closes the socket.
    func close(reason: QMPError?) {
        let (started, _) = fail(with: reason ?? QMPError.connectionClosed("the QMP connection was closed by this process"))
        if started {
            connection.shutdown()
        } else {
            connection.shutdown()
            connection.close()
        }
    }

    /// Records the first close reason and fails all waiters with it.
    /// Returns whether the reader thread was started (and so owns the close).
    @discardableResult
    private func fail(with reason: QMPError) -> (readerStarted: Bool, reason: QMPError) {
        let (pending, greetingWaiters, readerStarted, closeWaiters, finalReason) = state.withLock { state in
            if state.closed == nil { state.closed = reason }
            let started = state.reader != .notStarted
            var closeWaiters: [CheckedContinuation<Void, Never>] = []
            if !started {
                state.reader = .finished
                closeWaiters = state.closeWaiters
                state.closeWaiters = []
            }
            defer {
                state.pending = [:]
                state.greetingWaiters = [:]
            }
            return (Array(state.pending.values), Array(state.greetingWaiters.values),
                    started, closeWaiters, state.closed ?? reason)
        }
        for entry in pending {
            let error = finalReason.command == nil && finalReason.code != .commandFailed
                ? QMPError(finalReason.code, "\(entry.command): \(finalReason.message)", command: entry.command, errno: finalReason.errno)
                : finalReason
            entry.continuation.resume(returning: .failure(error))
        }
        for waiter in greetingWaiters { waiter.resume(returning: .failure(finalReason)) }
        publisher.finish(finalReason)
        for waiter in closeWaiters { waiter.resume() }
        if !readerStarted { executor.stop() }
        return (readerStarted, finalReason)
    }

    func waitUntilClosed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.reader == .finished { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: - The reader thread

    func startReader() {
        let start = state.withLock { state -> Bool in
            guard state.reader == .notStarted else { return false }
            state.reader = .running
            return true
        }
        guard start else { return }
        System.startThread(named: "qmp-reader", stackSize: 4 << 20) { [self] in readLoop() }
    }

    /// The reader thread's identity once it runs (tests check where jobs ran).
    var readerThreadID: UInt? { readerThread.withLock { $0 } }

    private func readLoop() {
        readerThread.withLock { $0 = System.currentThread() }
        var framer = LineFramer(maximumMessageSize: options.maximumMessageSize)
        var router = MessageRouter(expectsGreeting: dialect.hasGreeting)
        let chunkSize = 256 << 10
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { chunk.deallocate() }
        var jobs: [UnownedJob] = []
        var idleWork: [@Sendable () -> Void] = []
        var end: QMPError
        reading: while true {
            if executor.isActive {
                // Run what tasks preferring this thread have queued (callers
                // just resumed by replies), then wait for the socket or a job.
                executor.runQueuedJobs(&jobs, idle: &idleWork)
                guard executor.prepareToWait() else { continue reading }
                let ready = System.pollReadable(connection.descriptor, executor.wakeDescriptor)
                executor.finishWaiting(signalled: (try? ready.get().second).map { $0 != 0 } ?? false)
                switch ready {
                case .success(let revents) where revents.first == 0:
                    continue reading
                case .success:
                    break
                case .failure(let errno):
                    end = QMPError.connectionClosed("waiting on the QMP connection failed: \(errno.errno)")
                    break reading
                }
            }
            switch connection.receive(into: chunk) {
            case .success(0):
                end = QMPError.connectionClosed("the peer closed the QMP connection")
                break reading
            case .success(let count):
                framer.append(UnsafeRawBufferPointer(rebasing: chunk[..<count]))
                do {
                    while var line = try framer.nextLine() {
                        if let sentinel = dialect.sentinel, let last = line.lastIndex(of: sentinel) {
                            line = line[(last + 1)...]
                        }
                        if let fatal = handle(router.route(line), line: line) {
                            end = fatal
                            break reading
                        }
                    }
                } catch {
                    options.logger.error("closing the QMP connection: \(error)")
                    end = error
                    break reading
                }
            case .failure(let errno):
                end = QMPError.connectionClosed("reading the QMP connection failed: \(errno)")
                break reading
            }
        }
        fail(with: end)
        executor.stop()
        connection.shutdown()
        connection.close()
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.reader = .finished
            defer { state.closeWaiters = [] }
            return state.closeWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Acts on one routed message; returns an error that ends the connection.
    private func handle(_ routed: MessageRouter.Routed, line: ArraySlice<UInt8>) -> QMPError? {
        switch routed {
        case .reply(let id, let message):
            guard let id, let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) else {
                options.logger.warning("dropping a QMP reply with an unknown id: \(MessageRouter.excerpt(line))")
                return nil
            }
            let reply = Reply(message: message) ?? .success(.null)
            pending.continuation.resume(returning: .success(ReceivedReply(bytes: pending.wantsBytes ? Array(line) : nil, message: message, reply: reply)))
        case .event(let event):
            publisher.publish(event)
        case .greeting(let greeting):
            let waiters = state.withLock { state -> [GreetingContinuation] in
                state.greeting = greeting
                defer { state.greetingWaiters = [:] }
                return Array(state.greetingWaiters.values)
            }
            for waiter in waiters { waiter.resume(returning: .success(greeting)) }
        case .garbage(let reason):
            if state.withLock({ $0.discardingGarbage > 0 }) {
                options.logger.debug("discarding a line before the guest agent's sync: \(reason)")
                return nil
            }
            state.withLock { $0.protocolErrors += 1 }
            options.logger.warning("skipping a line from the QMP peer: \(reason)")
        case .fatal(let error):
            options.logger.error("closing the QMP connection: \(error)")
            return error
        }
        return nil
    }
}
