/// A compiled regular expression: what `$regex` patterns and `wait-console`
/// search with, and what loading a playbook checks them with (never
/// anchored unless the source says so).
///
/// ```swift
/// let login = RegularExpression("login: *$")!
/// login.firstMatch(in: "debian login: ")   // text "login: ", no groups
/// ```
///
/// Swift's own `Regex` (not `NSRegularExpression`, which needs full
/// Foundation and ICU), matching by Unicode scalar as ICU does: `.` is one
/// scalar and `\r\n` two, so a `\n` in a pattern matches inside a CRLF the
/// console sends.
public struct RegularExpression: @unchecked Sendable {
    // @unchecked: a Regex is an immutable value once built; it is read, never
    // changed, from whatever task searches with it.
    private let regex: Regex<AnyRegexOutput>

    /// Nil when `source` is not a valid regular expression.
    public init?(_ source: String) {
        guard let regex = try? Regex(source) else { return nil }
        self.regex = regex.matchingSemantics(.unicodeScalar)
    }

    /// Whether the expression matches anywhere in `text`.
    public func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }

    /// The first match in `text`: its range and each capture group's text
    /// (nil for a group that took no part).
    public func firstMatch(in text: String) -> (range: Range<String.Index>, groups: [String?])? {
        guard let match = try? regex.firstMatch(in: text) else { return nil }
        let output = match.output
        let groups = (1..<max(output.count, 1)).map { output[$0].substring.map(String.init) }
        return (match.range, groups)
    }
}
