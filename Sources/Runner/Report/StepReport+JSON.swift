import FoundationEssentials
import Playbook
import QMP

extension StepReport {
    /// Appends the entry's JSON (SPEC.md §5, every key, `null` where a value
    /// does not apply) straight to `output`, with no tree built first: at
    /// `level` 2 and `indent` 2 it is the text the report file holds.
    func write(to output: inout [UInt8], indent: Int?, level: Int) {
        var object = JSONContainerWriter(.object, indent: indent, level: level, to: &output)
        func member(_ key: JSONKey, _ value: JSONValue) { object.member(key, value, to: &output) }
        func member(_ key: JSONKey, _ value: String?) { object.member(key, string: value, to: &output) }
        func member(_ key: JSONKey, _ value: Int?) { object.member(key, int: value, to: &output) }
        member(Key.index, index)
        member(Key.id, id)
        member(Key.name, name)
        member(Key.target, target)
        member(Key.action, action.rawValue)
        member(Key.phase, phase.rawValue)
        member(Key.status, status.rawValue)
        object.start(Key.started, to: &output)
        if let started {
            output.append(UInt8(ascii: "\""))
            Timestamp.write(started, to: &output)
            output.append(UInt8(ascii: "\""))
        } else {
            output.append(contentsOf: JSONValue.nullBytes)
        }
        object.start(Key.durationMilliseconds, to: &output)
        if let duration {
            Timestamp.writeMilliseconds(duration, to: &output)
        } else {
            output.append(contentsOf: JSONValue.nullBytes)
        }
        member(Key.attempts, attempts)
        member(Key.request, request ?? .null)
        member(Key.response, response ?? .null)
        member(Key.event, event ?? .null)
        member(Key.message, message)
        member(Key.tags, .array(tags.map(JSONValue.string)))
        member(Key.file, file)
        member(Key.line, line)
        // `FILE:LINE:COLUMN` written from its parts: no String made for it.
        object.start(Key.location, to: &output)
        if let file, let line, let column {
            JSONValue.writeString(file, to: &output)
            output.removeLast()  // the closing quote: the line and column go inside.
            output.append(UInt8(ascii: ":"))
            JSONValue.writeInteger(Int64(line), to: &output)
            output.append(UInt8(ascii: ":"))
            JSONValue.writeInteger(Int64(column), to: &output)
            output.append(UInt8(ascii: "\""))
        } else {
            output.append(contentsOf: JSONValue.nullBytes)
        }
        member(Key.iteration, iteration)
        member(Key.item, item ?? .null)
        member(Key.parent, parent)
        object.close(&output)
    }

    /// The entry's keys, spelled out once, with their lines as the report file lays them out.
    private enum Key {
        /// A member of an entry inside the report's `steps` array.
        private static func spelled(_ name: String) -> JSONKey { JSONKey(name, lineLevel: ReportSteps.reportLevel + 1) }

        static let index = spelled("index")
        static let id = spelled("id")
        static let name = spelled("name")
        static let target = spelled("target")
        static let action = spelled("action")
        static let phase = spelled("phase")
        static let status = spelled("status")
        static let started = spelled("started")
        static let durationMilliseconds = spelled("duration_ms")
        static let attempts = spelled("attempts")
        static let request = spelled("request")
        static let response = spelled("response")
        static let event = spelled("event")
        static let message = spelled("message")
        static let tags = spelled("tags")
        static let file = spelled("file")
        static let line = spelled("line")
        static let location = spelled("location")
        static let iteration = spelled("iteration")
        static let item = spelled("item")
        static let parent = spelled("parent")
    }

    /// The entry that ``write(to:indent:level:)`` wrote as `value`, or nil
    /// when `value` is not one. `holdsSteps` is not in the JSON: the caller
    /// knows it. What the JSON cannot tell apart reads back as the report
    /// shows it: `started` to the millisecond, `duration` to the microsecond,
    /// a `null` request, response or event as none.
    init?(json value: JSONValue, holdsSteps: Bool) {
        guard case .object(let object) = value else { return nil }
        // Read in the order `write` writes the members: each is found at the first look.
        var member = JSONObject.Reader(object)
        func present(_ key: String) -> JSONValue? {
            guard let value = member(key), !value.isNull else { return nil }
            return value
        }
        let index = member("index")?.intValue.map(Int.init)
        let id = present("id")?.stringValue
        let name = member("name")?.stringValue
        let target = present("target")?.stringValue
        let action = member("action")?.stringValue.flatMap(StepKind.init(rawValue:))
        let phase = member("phase")?.stringValue.flatMap(Phase.init(rawValue:))
        let status = member("status")?.stringValue.flatMap(StepStatus.init(rawValue:))
        guard let index, let name, let action, let phase, let status else { return nil }
        self.init(index: index, id: id, name: name, target: target, action: action, phase: phase, status: status)
        started = present("started")?.stringValue.flatMap(Timestamp.date)
        duration = present("duration_ms")?.doubleValue.map(Timestamp.duration(milliseconds:))
        attempts = present("attempts")?.intValue.map(Int.init)
        request = present("request")
        response = present("response")
        event = present("event")
        message = present("message")?.stringValue
        tags = member("tags")?.arrayValue?.compactMap(\.stringValue) ?? []
        file = present("file")?.stringValue
        line = present("line")?.intValue.map(Int.init)
        // The column is what follows the last colon of `location` (the file may hold colons).
        column = present("location")?.stringValue.flatMap { text in text.lastIndex(of: ":").flatMap { Int(text[text.index(after: $0)...]) } }
        iteration = present("iteration")?.intValue.map(Int.init)
        // A loop over `[null, …]` has a null item: inside a loop, null is the element.
        let item = member("item")
        self.item = iteration == nil && item?.isNull == true ? nil : item
        parent = present("parent")?.intValue.map(Int.init)
        self.holdsSteps = holdsSteps
    }
}
