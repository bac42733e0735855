import FoundationEssentials

/// Text for the HTML report: escaping, and times as people read them.
enum HTMLText {
    /// Escapes text for an element's content or a quoted attribute.
    static func escape(_ text: String) -> String {
        MarkupText.escape(text)
    }

    /// Milliseconds from the start of the run to `date` (0 for a date before it).
    static func offset(of date: Date, from start: Date) -> Double {
        max(0, date.timeIntervalSince(start) * 1000)
    }

    /// `812µs`, `12.3ms`, `1.52s`, as the progress lines write durations.
    static func milliseconds(_ value: Double) -> String {
        describe(.microseconds(Int64((value * 1000).rounded())))
    }

    /// A number for an SVG attribute: at most two decimals.
    static func number(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
