import FoundationEssentials
import QMP

extension Diagnostic {
    /// The problem for editors and CI annotations, as `check --format json` and
    /// the report's `preflight_problems` write it:
    ///
    /// ```json
    /// {"file": "book.yaml", "line": 4, "column": 5, "message": "unknown key 'argumets' in an execute step",
    ///  "hint": "did you mean 'arguments'?"}
    /// ```
    ///
    /// `file`, `line` and `column` are `null` for a problem without a place
    /// (an unreadable file); `hint` is `null` when there is no suggestion.
    public var jsonValue: JSONValue {
        let (summary, hint) = Self.splitHint(message)
        return [
            "file": location.map { .string($0.file) } ?? .null,
            "line": location.map { .int(Int64($0.line)) } ?? .null,
            "column": location.map { .int(Int64($0.column)) } ?? .null,
            "message": .string(summary),
            "hint": hint.map(JSONValue.string) ?? .null,
        ]
    }

    /// A suggestion as messages carry it: ` (did you mean 'NAME'?)` after the
    /// problem, or an empty string when there is no candidate.
    public static func didYouMean(_ candidate: String?) -> String {
        NameSuggestion.wording(candidate)
    }

    /// The message without its suggestion, and the suggestion's words: every
    /// message carries one as ` (did you mean 'NAME'?)` (``NameSuggestion``).
    static func splitHint(_ message: String) -> (message: String, hint: String?) {
        guard let start = message.ranges(of: " (did you mean '").last else { return (message, nil) }
        let rest = message[start.upperBound...]
        guard let end = rest.firstRange(of: "'?)") else { return (message, nil) }
        let hint = "did you mean '" + rest[..<end.lowerBound] + "'?"
        return (String(message[..<start.lowerBound] + rest[end.upperBound...]), hint)
    }
}
