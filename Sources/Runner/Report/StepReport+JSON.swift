import FoundationEssentials
import Playbook
import QMP

extension StepReport {
    /// Appends the entry's JSON (SPEC.md §5, every key, `null` where a value
    /// does not apply) straight to `output`, with no tree built first: at
    /// `level` 2 and `indent` 2 it is the text the report file holds.
    func write(to output: inout [UInt8], indent: Int?, level: Int) {
        var object = JSONContainerWriter(.object, indent: indent, level: level, to: &output)
        func member(_ key: String, _ value: JSONValue) { object.member(key, value, to: &output) }
        func member(_ key: String, _ value: String?) { member(key, value.map(JSONValue.string) ?? .null) }
        func member(_ key: String, _ value: Int?) { member(key, value.map { .int(Int64($0)) } ?? .null) }
        member("index", index)
        member("id", id)
        member("name", name)
        member("target", target)
        member("action", action.rawValue)
        member("phase", phase.rawValue)
        member("status", status.rawValue)
        member("started", started.map(Timestamp.string))
        member("duration_ms", duration.map { .double(Timestamp.milliseconds($0)) } ?? .null)
        member("attempts", attempts)
        member("request", request ?? .null)
        member("response", response ?? .null)
        member("event", event ?? .null)
        member("message", message)
        member("tags", .array(tags.map(JSONValue.string)))
        member("file", file)
        member("line", line)
        member("location", location)
        member("iteration", iteration)
        member("item", item ?? .null)
        member("parent", parent)
        object.close(&output)
    }

    /// The entry that ``write(to:indent:level:)`` wrote as `value`, or nil
    /// when `value` is not one. `holdsSteps` is not in the JSON: the caller
    /// knows it. What the JSON cannot tell apart reads back as the report
    /// shows it: `started` to the millisecond, `duration` to the microsecond,
    /// a `null` request, response or event as none.
    init?(json value: JSONValue, holdsSteps: Bool) {
        guard case .object(let object) = value, let index = object["index"]?.intValue.map(Int.init),
              let name = object["name"]?.stringValue,
              let action = object["action"]?.stringValue.flatMap(StepKind.init(rawValue:)),
              let phase = object["phase"]?.stringValue.flatMap(Phase.init(rawValue:)),
              let status = object["status"]?.stringValue.flatMap(StepStatus.init(rawValue:)) else { return nil }
        func present(_ key: String) -> JSONValue? {
            guard let value = object[key], value != .null else { return nil }
            return value
        }
        self.init(index: index, id: present("id")?.stringValue, name: name, target: present("target")?.stringValue,
                  action: action, phase: phase, status: status)
        started = present("started")?.stringValue.flatMap(Timestamp.date)
        duration = present("duration_ms")?.doubleValue.map(Timestamp.duration(milliseconds:))
        attempts = present("attempts")?.intValue.map(Int.init)
        request = present("request")
        response = present("response")
        event = present("event")
        message = present("message")?.stringValue
        tags = object["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        file = present("file")?.stringValue
        line = present("line")?.intValue.map(Int.init)
        location = present("location")?.stringValue
        iteration = present("iteration")?.intValue.map(Int.init)
        // A loop over `[null, …]` has a null item: inside a loop, null is the element.
        item = iteration == nil ? present("item") : object["item"]
        parent = present("parent")?.intValue.map(Int.init)
        self.holdsSteps = holdsSteps
    }
}
