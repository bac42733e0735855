import FoundationEssentials
import QMP

/// Wording that several actions' messages share.
enum StepText {
    /// `text`, cut to `limit` characters with an ellipsis.
    static func shorten(_ text: String, to limit: Int = 160) -> String {
        text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    /// `; events that arrived meanwhile: A, B {…}` or `; no other events arrived`.
    static func meanwhile(_ others: [RecordedEvent], redact: Bool) -> String {
        guard !others.isEmpty else { return "; no other events arrived" }
        let shown = others.prefix(10).map { redact ? $0.name : shorten($0.summary) }
        let more = others.count > 10 ? " and \(others.count - 10) more" : ""
        return "; events that arrived meanwhile: " + shown.joined(separator: ", ") + more
    }

    /// `text` with every text and number of `values` (a redacted step's
    /// arguments) of three characters or more replaced by `<redacted>`,
    /// longest first so a value inside another goes too.
    static func scrub(_ text: String, removing values: JSONValue?) -> String {
        guard let values else { return text }
        var secrets: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .string(let string): secrets.append(string)
            case .int, .uint, .double: secrets.append(value.jsonText)
            case .array(let elements): elements.forEach(collect)
            case .object(let members): members.values.forEach(collect)
            default: break
            }
        }
        collect(values)
        var scrubbed = text
        for secret in Set(secrets).filter({ $0.count >= 3 }).sorted(by: { $0.count > $1.count }) {
            scrubbed = scrubbed.replacing(secret, with: "<redacted>")
        }
        return scrubbed
    }
}
