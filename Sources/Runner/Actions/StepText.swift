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
}
