import FoundationEssentials

/// Every event one target sent from the moment it connected, and which wait
/// step took which.
///
/// ```swift
/// var log = EventLog()
/// log.record(RecordedEvent(name: "STOP", received: t0))
/// log.record(RecordedEvent(name: "RESUME", received: t2))
/// // `since: pause`, where step "pause" sent its command at t1, between t0 and t2:
/// let query = EventQuery(names: ["STOP", "RESUME"], since: t1)
/// log.take(query, by: 4)?.name                // "RESUME": STOP came before t1
/// ```
///
/// A wait takes the first event, in arrival order, that no earlier wait took,
/// whose name is one of the query's and whose data matches. Events that
/// arrived before the wait began count, so a wait placed after the command
/// that causes the event never misses it. Pure and synchronous;
/// ``TargetEvents`` adds waiting with a timeout.
///
/// `since` compares the time each event was read from the socket with the
/// time the step's command was sent (which the runner keeps, as the step may
/// be on another target), not positions in the log, so an event still on
/// its way from the connection to the log is placed correctly.
///
/// Memory is bounded: past ``limit`` events the oldest tenth is dropped (and
/// counted in ``dropped``), so a peer that floods events cannot exhaust it.
public struct EventLog: Sendable {
    public private(set) var events: [RecordedEvent] = []
    private var nextSequence = 0
    /// The most events kept.
    public let limit: Int
    /// How many of the oldest events were dropped to stay within ``limit``.
    public private(set) var dropped = 0

    public init(limit: Int = 100_000) {
        self.limit = max(1, limit)
    }

    /// The number of events recorded so far, which is also the sequence number the next one gets.
    public var count: Int { nextSequence }

    /// Appends `event`, giving it the next sequence number; returns it as stored.
    @discardableResult
    public mutating func record(_ event: RecordedEvent) -> RecordedEvent {
        var stored = event
        stored.sequence = nextSequence
        stored.takenBy = nil
        nextSequence += 1
        events.append(stored)
        if events.count > limit {
            let excess = events.count - limit + max(1, limit / 10)
            events.removeFirst(excess)
            dropped += excess
        }
        return stored
    }

    /// Takes the newest event, when `query` accepts it and no wait took it,
    /// recording `step` as its taker: what a new event is offered to the
    /// pending waits (every older one was offered to them when they began),
    /// so recording an event costs the same however long the log is.
    public mutating func takeNewest(_ query: EventQuery, by step: Int) -> RecordedEvent? {
        guard let index = events.indices.last, events[index].takenBy == nil, query.accepts(events[index]) else { return nil }
        events[index].takenBy = step
        return events[index]
    }

    /// Takes the first untaken event matching `query`, recording `step` as its taker.
    public mutating func take(_ query: EventQuery, by step: Int) -> RecordedEvent? {
        for index in events.indices where events[index].takenBy == nil {
            if query.accepts(events[index]) {
                events[index].takenBy = step
                return events[index]
            }
        }
        return nil
    }

    /// What the report can keep of the log within `limit` (nil: everything):
    /// every event a wait took, and the newest `limit` of the others, in
    /// order. The report's cap (``EventReport/kept(_:limit:)``) then applies
    /// across targets; this spares it the rest of a flooded log.
    public func reportable(limit: Int?) -> [RecordedEvent] {
        guard let limit else { return events }
        // `cut`: where the newest `limit` untaken events begin.
        var cut = events.endIndex
        var untaken = 0
        while cut > events.startIndex, untaken < limit {
            cut -= 1
            if events[cut].takenBy == nil { untaken += 1 }
        }
        guard cut > events.startIndex else { return events }
        return events[..<cut].filter { $0.takenBy != nil } + events[cut...]
    }

    /// The events received at or after `since` (all when nil) that no wait has taken.
    public func untaken(since: Date?) -> [RecordedEvent] {
        events.filter { event in
            event.takenBy == nil && (since.map { event.received >= $0 } ?? true)
        }
    }
}

/// What a wait step looks for: one of some event names, with data that a
/// predicate accepts, received at or after a time.
public struct EventQuery: Sendable {
    public var names: [String]
    /// Only events received at or after this time count (nil: everything since connect).
    public var since: Date?
    public var matches: @Sendable (RecordedEvent) -> Bool

    public init(names: [String], since: Date? = nil, matches: @escaping @Sendable (RecordedEvent) -> Bool = { _ in true }) {
        self.names = names
        self.since = since
        self.matches = matches
    }

    func accepts(_ event: RecordedEvent) -> Bool {
        if let since, event.received < since { return false }
        return names.contains(event.name) && matches(event)
    }
}
