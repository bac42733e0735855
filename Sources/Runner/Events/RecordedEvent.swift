import Foundation
import QMP

/// One QMP event as a target's ``EventLog`` keeps it.
public struct RecordedEvent: Sendable, Equatable {
    /// The event's position in its target's log, counting from 0.
    public var sequence: Int
    public var name: String
    public var data: JSONObject
    /// QEMU's timestamp of the event.
    public var seconds: Int64
    public var microseconds: Int64
    /// When qmpbook received it.
    public var received: Date
    /// The index of the wait step that took it, or nil.
    public var takenBy: Int?

    public init(
        sequence: Int = 0, name: String, data: JSONObject = [:], seconds: Int64 = 0, microseconds: Int64 = 0,
        received: Date = Date(), takenBy: Int? = nil
    ) {
        self.sequence = sequence
        self.name = name
        self.data = data
        self.seconds = seconds
        self.microseconds = microseconds
        self.received = received
        self.takenBy = takenBy
    }

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
