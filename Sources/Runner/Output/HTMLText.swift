import FoundationEssentials

/// Text for the HTML report: times as people read them (escaping is
/// ``Markup``'s, as text goes in).
enum HTMLText {
    /// Milliseconds from the start of the run to `date` (0 for a date before it).
    static func offset(of date: Date, from start: Date) -> Double {
        max(0, date.timeIntervalSince(start) * 1000)
    }

    /// `812µs`, `12.3ms`, `1.52s`, as the progress lines write durations.
    static func milliseconds(_ value: Double) -> String {
        describe(.microseconds(Int64((value * 1000).rounded())))
    }
}
