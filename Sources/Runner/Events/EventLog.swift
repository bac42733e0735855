/// Every event one target sent from the moment it connected, and which wait
/// step took which.
///
/// ```swift
/// var log = EventLog()
/// log.record(RecordedEvent(name: "STOP"))
/// log.mark(step: "pause")                     // step "pause" was sent now
/// log.record(RecordedEvent(name: "RESUME"))
/// let query = EventQuery(names: ["STOP", "RESUME"], from: log.position(after: "pause") ?? 0)
/// log.take(query, by: 4)?.name                // "RESUME": STOP came before the mark
/// ```
///
/// A wait takes the first event, in arrival order, that no earlier wait took,
/// whose name is one of the query's and whose data matches. Events that
/// arrived before the wait began count, so a wait placed after the command
/// that causes the event never misses it. Pure and synchronous;
/// ``TargetEvents`` adds waiting with a timeout.
public struct EventLog: Sendable {
    public private(set) var events: [RecordedEvent] = []
    private var marks: [String: Int] = [:]

    public init() {}

    /// The number of events recorded so far, which is also the position the next one gets.
    public var count: Int { events.count }

    /// Appends `event`, giving it the next sequence number; returns it as stored.
    @discardableResult
    public mutating func record(_ event: RecordedEvent) -> RecordedEvent {
        var stored = event
        stored.sequence = events.count
        stored.takenBy = nil
        events.append(stored)
        return stored
    }

    /// Notes that step `id` sent its command now: `since: id` then considers only later events.
    public mutating func mark(step id: String) {
        marks[id] = events.count
    }

    /// The first position `since: id` considers, or nil when step `id` has not sent anything.
    public func position(after id: String) -> Int? {
        marks[id]
    }

    /// Takes the first untaken event matching `query`, recording `step` as its taker.
    public mutating func take(_ query: EventQuery, by step: Int) -> RecordedEvent? {
        guard query.from < events.count else { return nil }
        for index in max(0, query.from)..<events.count where events[index].takenBy == nil {
            if query.accepts(events[index]) {
                events[index].takenBy = step
                return events[index]
            }
        }
        return nil
    }

    /// The events from position `from` on that no wait has taken.
    public func untaken(from: Int) -> [RecordedEvent] {
        guard from < events.count else { return [] }
        return events[max(0, from)...].filter { $0.takenBy == nil }
    }
}

/// What a wait step looks for: one of some event names, with data that a
/// predicate accepts, at or after a position in the log.
public struct EventQuery: Sendable {
    public var names: [String]
    /// The first log position considered (0: everything since connect).
    public var from: Int
    public var matches: @Sendable (RecordedEvent) -> Bool

    public init(names: [String], from: Int = 0, matches: @escaping @Sendable (RecordedEvent) -> Bool = { _ in true }) {
        self.names = names
        self.from = from
        self.matches = matches
    }

    func accepts(_ event: RecordedEvent) -> Bool {
        names.contains(event.name) && matches(event)
    }
}
