import FoundationEssentials
import QMP

/// One event in the report's `events` list.
public struct EventReport: Sendable {
    public var target: String
    public var event: RecordedEvent
    /// True when the step that took it is redacted: the data is written as `"<redacted>"`.
    public var redacted: Bool

    public init(target: String, event: RecordedEvent, redacted: Bool = false) {
        self.target = target
        self.event = event
        self.redacted = redacted
    }

    /// `events` (in order) within `limit`: every event a step took, then the
    /// newest of the others; what is left out is the oldest events no step
    /// took. Nil keeps every event. Returns what is kept and how many were left out.
    static func kept(_ events: [EventReport], limit: Int?) -> ([EventReport], leftOut: Int) {
        guard let limit, events.count > limit else { return (events, 0) }
        let taken = events.filter { $0.event.takenBy != nil }.count
        var untakenToDrop = min(events.count - limit, events.count - taken)
        let leftOut = untakenToDrop
        let kept = events.filter { event in
            guard event.event.takenBy == nil, untakenToDrop > 0 else { return true }
            untakenToDrop -= 1
            return false
        }
        return (kept, leftOut)
    }

    /// Appends the event's JSON (SPEC.md §5) straight to `output`, with no
    /// tree built first: at `level` 2 and `indent` 2 it is the text the report file holds.
    func write(to output: inout [UInt8], indent: Int?, level: Int) {
        var object = JSONContainerWriter(.object, indent: indent, level: level, to: &output)
        object.member(Key.target, string: target, to: &output)
        object.member(Key.event, string: event.name, to: &output)
        object.member(Key.data, redacted ? StepReport.redacted : .object(event.data), to: &output)
        object.start(Key.timestamp, to: &output)
        var timestamp = JSONContainerWriter(.object, indent: indent, level: object.memberLevel, to: &output)
        timestamp.member(Key.seconds, int: Int(event.seconds), to: &output)
        timestamp.member(Key.microseconds, int: Int(event.microseconds), to: &output)
        timestamp.close(&output)
        object.start(Key.received, to: &output)
        output.append(UInt8(ascii: "\""))
        Timestamp.write(event.received, to: &output)
        output.append(UInt8(ascii: "\""))
        object.member(Key.takenBy, int: event.takenBy, to: &output)
        object.close(&output)
    }

    /// The entry's keys, spelled out once.
    private enum Key {
        static let target = JSONKey("target")
        static let event = JSONKey("event")
        static let data = JSONKey("data")
        static let timestamp = JSONKey("timestamp")
        static let seconds = JSONKey("seconds")
        static let microseconds = JSONKey("microseconds")
        static let received = JSONKey("received")
        static let takenBy = JSONKey("taken_by")
    }

    /// The event as the report writes it; ``write(to:indent:level:)`` is where its keys are.
    public var jsonValue: JSONValue {
        var bytes: [UInt8] = []
        write(to: &bytes, indent: nil, level: 0)
        return (try? JSONValue(parsing: bytes)) ?? .null
    }
}
