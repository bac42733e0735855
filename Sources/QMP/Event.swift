import FoundationEssentials

/// An asynchronous QMP event, such as `STOP` or `DEVICE_DELETED`.
public struct Event: Sendable, Equatable {
    /// The event's name.
    public var name: String
    /// The event's `data` (empty when QEMU sent none).
    public var data: JSONObject
    /// When QEMU says the event happened.
    public var timestamp: EventTimestamp
    /// When this process read it off the socket.
    public var received: Date

    public init(name: String, data: JSONObject = [:], timestamp: EventTimestamp, received: Date = Date()) {
        self.name = name
        self.data = data
        self.timestamp = timestamp
        self.received = received
    }

    /// Reads an event message; nil when it has no `event` name.
    package init?(message: JSONObject, received: Date) {
        guard let name = message["event"]?.stringValue else { return nil }
        let timestamp = message["timestamp"]
        self.init(name: name,
                  data: message["data"]?.objectValue ?? [:],
                  timestamp: EventTimestamp(seconds: timestamp?["seconds"]?.intValue ?? 0,
                                            microseconds: timestamp?["microseconds"]?.intValue ?? 0),
                  received: received)
    }

    /// The event as QMP writes it: `{"event": …, "data": …, "timestamp": {…}}`.
    public var json: JSONValue {
        .object(["event": .string(name), "data": .object(data), "timestamp": timestamp.json])
    }
}

/// QEMU's clock reading for an event (seconds and microseconds since the epoch).
public struct EventTimestamp: Sendable, Hashable {
    public var seconds: Int64
    public var microseconds: Int64

    public init(seconds: Int64, microseconds: Int64) {
        self.seconds = seconds
        self.microseconds = microseconds
    }

    public var json: JSONValue { .object(["seconds": .int(seconds), "microseconds": .int(microseconds)]) }
}
