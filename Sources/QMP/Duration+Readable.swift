extension Duration {
    /// The duration for a message, as playbooks write durations: `250ms`, `2s`, `1.5s`, `1.999s`; never
    /// more than millisecond precision (Duration's own description prints
    /// every nanosecond: `1.999351164 seconds`), except that a measured time
    /// under a millisecond is shown in microseconds (`812µs`). The one
    /// formatter of durations for people: messages, progress, the HTML report.
    public var readableDescription: String {
        let (seconds, attoseconds) = components
        if seconds == 0, attoseconds > 0, attoseconds < 999_500_000_000_000 {
            return "\((attoseconds + 500_000_000_000) / 1_000_000_000_000)µs"
        }
        let milliseconds = seconds * 1000 + (attoseconds + 500_000_000_000_000) / 1_000_000_000_000_000
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let whole = milliseconds / 1000
        let fraction = milliseconds % 1000
        guard fraction > 0 else { return "\(whole)s" }
        var decimals = String(fraction)
        decimals = String(repeating: "0", count: 3 - decimals.count) + decimals
        while decimals.hasSuffix("0") { decimals.removeLast() }
        return "\(whole).\(decimals)s"
    }
}
