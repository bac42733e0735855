import FoundationEssentials
import QMP

/// One QMP event as a target's ``EventLog`` keeps it.
public struct RecordedEvent: Sendable, Equatable {
    /// The event's position in its target's log, counting from 0.
    public var sequence: Int = 0
    public var name: String
    public var data: JSONObject = [:]
    /// QEMU's timestamp of the event.
    public var seconds: Int64 = 0
    public var microseconds: Int64 = 0
    /// When qmpbook received it.
    public var received: Date = Date()
    /// The index of the wait step that took it, or nil.
    public var takenBy: Int?

    /// The event as a step registers it: `{event, data, timestamp}`.
    public var jsonValue: JSONValue {
        .object([
            "event": .string(name),
            "data": .object(data),
            "timestamp": ["seconds": .int(seconds), "microseconds": .int(microseconds)],
        ])
    }

    /// `NAME {data}` (or `NAME` when the data is empty), for messages.
    public var summary: String {
        data.isEmpty ? name : "\(name) \(JSONValue.object(data).jsonText)"
    }
}

// In an extension, so that the memberwise init stays.
extension RecordedEvent {
    /// The event as the engine received it, not yet in a log (its `sequence` is set by ``EventLog``).
    public init(_ event: Event) {
        self.init(
            name: event.name, data: event.data, seconds: event.timestamp.seconds,
            microseconds: event.timestamp.microseconds, received: event.received)
    }
}
