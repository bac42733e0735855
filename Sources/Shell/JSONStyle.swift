import QMP

/// Replies as the shell prints them: indented JSON, in colour on a terminal
/// (keys blue, strings green, numbers cyan, `true`/`false`/`null` magenta),
/// plain otherwise. Strings are JSON-escaped, so no control character
/// reaches the terminal.
enum JSONStyle {
    static func pretty(_ value: JSONValue, color: Bool) -> String {
        guard color else { return value.prettyJSONText }
        var out = ""
        write(value, level: 0, to: &out)
        return out
    }

    private static func paint(_ text: String, _ code: String) -> String { "\u{1b}[\(code)m\(text)\u{1b}[0m" }

    private static func write(_ value: JSONValue, level: Int, to out: inout String) {
        let indent = String(repeating: "  ", count: level + 1)
        let closing = String(repeating: "  ", count: level)
        switch value {
        case .string: out += paint(value.jsonText, "32")
        case .int, .uint, .double: out += paint(value.jsonText, "36")
        case .bool, .null: out += paint(value.jsonText, "35")
        case .array(let elements):
            guard !elements.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (offset, element) in elements.enumerated() {
                out += indent
                write(element, level: level + 1, to: &out)
                out += offset + 1 < elements.count ? ",\n" : "\n"
            }
            out += closing + "]"
        case .object(let object):
            guard !object.isEmpty else { out += "{}"; return }
            out += "{\n"
            for (offset, (key, member)) in object.members.enumerated() {
                out += indent + paint(JSONValue.string(key).jsonText, "34") + ": "
                write(member, level: level + 1, to: &out)
                out += offset + 1 < object.count ? ",\n" : "\n"
            }
            out += closing + "}"
        }
    }
}
