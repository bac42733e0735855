import FoundationEssentials
import Playbook
import QMP

/// One line of shell input, understood.
///
/// ```
/// query-status                                   → .command("query-status", nil)
/// device_add driver=usb-tablet id=t0 bus=xhci.0  → .command("device_add", {driver, id, bus})
/// {"execute": "query-status"}                    → .command("query-status", nil)
/// hmp info status                                → .hmp("info status")
/// help device_add · :wait DEVICE_DELETED 5s · :mark unplugged · :quit
/// ```
enum ShellInput: Equatable {
    case nothing
    case command(String, arguments: JSONObject?)
    case hmp(String)
    case help(String?)
    case wait(event: String, timeout: Duration)
    case mark(String)
    case quit

    /// How long `:wait` waits when the line names no time.
    static let defaultWait = Duration.seconds(30)

    /// The words the shell itself takes besides QMP commands.
    static let shellWords = ["help", "hmp", ":wait", ":mark", ":quit"]

    /// Reads `line`; with a `schema`, `key=value` values are typed by it and
    /// commands and argument names are checked against it.
    /// - Throws: ``ShellInputError`` saying what is wrong with the line.
    static func parse(_ line: String, schema: ShellSchema?) throws(ShellInputError) -> ShellInput {
        let trimmed = line.trimmingWhitespace()
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return .nothing }
        if trimmed.hasPrefix("{") { return try raw(trimmed) }
        let (words, open) = ShellWords.split(Array(trimmed))
        if let open { throw ShellInputError("the line ends inside \(open)") }
        guard let first = words.first?.text else { return .nothing }
        let rest = words.count > 1 ? String(Array(trimmed)[words[1].start...]) : ""
        switch first {
        case "help":
            guard words.count <= 2 else { throw ShellInputError("help takes one command name: help COMMAND") }
            return .help(words.count == 2 ? words[1].text : nil)
        case "hmp":
            guard !rest.isEmpty else { throw ShellInputError("hmp needs a monitor command, such as: hmp info status") }
            return .hmp(rest)
        case ":mark":
            guard !rest.isEmpty else { throw ShellInputError(":mark needs a text: :mark TEXT") }
            return .mark(rest)
        case ":wait":
            guard (2...3).contains(words.count) else { throw ShellInputError(":wait takes an event name and a time: :wait EVENT [DURATION]") }
            let name = words[1].text
            if let known = schema?.schema, known.event(named: name) == nil {
                let suggestion = NameSuggestion.closest(to: name, among: known.eventNames)
                throw ShellInputError("unknown event '\(name)'" + NameSuggestion.wording(suggestion))
            }
            var timeout = defaultWait
            if words.count == 3 {
                guard let parsed = DurationText.parse(words[2].text) else {
                    throw ShellInputError(":wait \(name) \(words[2].text): \(DurationText.problem(with: words[2].text))")
                }
                timeout = parsed
            }
            return .wait(event: name, timeout: timeout)
        case ":quit", ":q", ":exit":
            return .quit
        default:
            if first.hasPrefix(":") {
                throw ShellInputError("unknown shell command '\(first)' (the shell's own are :wait, :mark, :quit)")
            }
        }
        if let known = schema?.schema, known.command(named: first) == nil {
            let suggestion = NameSuggestion.closest(to: first, among: known.commandNames)
            throw ShellInputError("unknown command '\(first)'" + NameSuggestion.wording(suggestion) + " (help lists them; Tab completes)")
        }
        guard words.count > 1 else { return .command(first, arguments: nil) }
        var arguments = JSONObject()
        for word in words.dropFirst() {
            guard let equals = word.text.firstIndex(of: "="), equals != word.text.startIndex else {
                throw ShellInputError("'\(word.text)' is not ARGUMENT=VALUE (e.g. id=t0; a raw command is a JSON object)")
            }
            let key = String(word.text[..<equals])
            let text = String(word.text[word.text.index(after: equals)...])
            guard arguments[key] == nil else { throw ShellInputError("\(key) is given twice") }
            arguments[key] = try schema.map { schema throws(ShellInputError) in try schema.value(text, for: key, in: first) } ?? ShellSchema.untyped(text)
        }
        return .command(first, arguments: arguments)
    }

    /// `{"execute": NAME, "arguments": {…}}`.
    private static func raw(_ text: String) throws(ShellInputError) -> ShellInput {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text)
        } catch {
            throw ShellInputError("not valid JSON: \(error)")
        }
        guard case .object(let object) = value, let name = object["execute"]?.stringValue else {
            throw ShellInputError(#"a raw command is a JSON object {"execute": NAME, "arguments": {…}}"#)
        }
        if let extra = object.keys.first(where: { $0 != "execute" && $0 != "arguments" }) {
            throw ShellInputError("a raw command takes execute and arguments, not '\(extra)'")
        }
        guard let arguments = object["arguments"] else { return .command(name, arguments: nil) }
        guard case .object(let members) = arguments else { throw ShellInputError("arguments must be a JSON object") }
        return .command(name, arguments: members)
    }
}
