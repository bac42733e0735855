import Synchronization

/// The events a ``Monitor`` receives from the moment of subscribing,
/// as an async sequence.
///
/// ```swift
/// let events = monitor.events()
/// try await monitor.execute("stop")
/// for await event in events where event.name == "STOP" { break }
/// ```
///
/// Each subscription has its own buffer, so a subscriber that does not read
/// never slows the connection or other subscribers. The buffer holds at
/// most ``bufferLimit`` events; when it is full the *oldest* is dropped and
/// ``droppedCount`` goes up. The sequence ends (returns nil) when the
/// connection closes and the buffered events have been read, or after
/// ``cancel()``; ``closeReason`` then says why. Safe to use from any task,
/// though events are handed to one reader each: two concurrent readers
/// split them between them.
public final class EventSubscription: AsyncSequence, Sendable {
    public typealias Element = Event
    public typealias Failure = Never

    /// The most events kept unread before the oldest are dropped.
    public let bufferLimit: Int
    private let state: Mutex<State>
    private let onCancel: @Sendable (ObjectIdentifier) -> Void
    private let clock: any DeadlineClock

    private struct State {
        var buffer = EventRing()
        var dropped = 0
        var end: QMPError?
        var nextWaiter: UInt64 = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Result<Event?, QMPError>, Never>)] = []
    }

    /// A subscription keeping at most `bufferLimit` events, timing its
    /// waits on `clock`; `onCancel` runs once it is cancelled or released
    /// (an `EventPublisher` forgets it there).
    package init(bufferLimit: Int, clock: any DeadlineClock = DeadlineTimer.shared,
                 onCancel: @escaping @Sendable (ObjectIdentifier) -> Void) {
        self.bufferLimit = Swift.max(1, bufferLimit)
        self.state = Mutex(State())
        self.onCancel = onCancel
        self.clock = clock
    }

    /// How many events were dropped because the buffer was full.
    public var droppedCount: Int { state.withLock { $0.dropped } }

    /// Why the sequence ended, or nil while it is open.
    public var closeReason: QMPError? { state.withLock { $0.end } }

    /// How many ``next(timeout:)`` calls wait for an event (for tests).
    package var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// The events received and not yet read, taken without waiting.
    public func drain() -> [Event] {
        state.withLock { $0.buffer.removeAll() }
    }

    /// Stops recording; pending and later reads return what is buffered, then nil.
    public func cancel() {
        finish(QMPError(.cancelled, "the event subscription was cancelled"))
        onCancel(ObjectIdentifier(self))
    }

    deinit {
        onCancel(ObjectIdentifier(self))
    }

    /// The next event, waiting at most `timeout` (forever when nil).
    ///
    /// - Returns: the event, or nil when the sequence has ended and nothing
    ///   is buffered (``closeReason`` says why), or when the task is cancelled.
    /// - Throws: ``QMPError/Code/timeout`` when no event came in time.
    public func next(timeout: Duration?) async throws(QMPError) -> Event? {
        let deadline = timeout.map { clock.now + $0 }
        let waiterID = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Event?, QMPError>, Never>) in
                let immediate = state.withLock { state -> Result<Event?, QMPError>? in
                    if let event = state.buffer.popFirst() { return .success(event) }
                    if state.end != nil { return .success(nil) }
                    state.waiters.append((waiterID, continuation))
                    return nil
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                    return
                }
                if Task.isCancelled { resumeWaiter(waiterID, with: .success(nil)) }
                if let timeout, let deadline {
                    clock.schedule(at: deadline) { [weak self] in
                        self?.resumeWaiter(waiterID, with: .failure(QMPError(.timeout, "no event arrived within \(timeout.readableDescription)")))
                    }
                }
            }
        } onCancel: {
            resumeWaiter(waiterID, with: .success(nil))
        }
        return try result.get()
    }

    private func resumeWaiter(_ id: UInt64, with result: Result<Event?, QMPError>) {
        let continuation = state.withLock { state -> CheckedContinuation<Result<Event?, QMPError>, Never>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        continuation?.resume(returning: result)
    }

    /// Buffers `event` or hands it to a waiting reader (called by an `EventPublisher`).
    package func deliver(_ event: Event) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<Event?, QMPError>, Never>? in
            guard state.end == nil else { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            if state.buffer.count >= bufferLimit {
                _ = state.buffer.popFirst()
                state.dropped += 1
            }
            state.buffer.append(event)
            return nil
        }
        waiter?.resume(returning: .success(event))
    }

    /// Ends the sequence: waiting readers get nil; buffered events stay readable.
    package func finish(_ reason: QMPError) {
        let waiters = state.withLock { state -> [CheckedContinuation<Result<Event?, QMPError>, Never>] in
            if state.end == nil { state.end = reason }
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.continuation)
        }
        for waiter in waiters { waiter.resume(returning: .success(nil)) }
    }

    public func makeAsyncIterator() -> Iterator { Iterator(subscription: self) }

    /// Reads events until the subscription ends.
    public struct Iterator: AsyncIteratorProtocol {
        let subscription: EventSubscription

        public mutating func next() async -> Event? {
            try? await subscription.next(timeout: nil)
        }
    }
}

/// A first-in first-out queue of events on one array.
struct EventRing {
    private var storage: [Event] = []
    private var head = 0

    var count: Int { storage.count - head }

    mutating func append(_ event: Event) {
        storage.append(event)
    }

    mutating func popFirst() -> Event? {
        guard head < storage.count else { return nil }
        let event = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024, head * 2 >= storage.count {
            storage.removeSubrange(0..<head)
            head = 0
        }
        return event
    }

    mutating func removeAll() -> [Event] {
        defer {
            storage.removeAll()
            head = 0
        }
        return Array(storage[head...])
    }
}
