/// Playbook durations: `250ms`, `5s`, `2m`, `1h`, `1.5s`, or a bare number of seconds.
///
/// ```swift
/// DurationText.parse("250ms")   // .milliseconds(250)
/// DurationText.parse("90")      // .seconds(90)
/// DurationText.format(.milliseconds(1500))  // "1.5s"
/// ```
///
/// Negative, empty, and unit-less text other than a number are refused (nil).
/// The command line's `--timeout` uses the same syntax.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let text = text.trimmingSpaces
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(text)
        var scale = 1.0
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            scale = factor
            break
        }
        guard !number.isEmpty, number.utf8.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") }),
              let value = Double(number), value.isFinite, value >= 0 else { return nil }
        return seconds(value * scale)
    }

    /// A duration from a number of seconds; nil when negative or not finite.
    public static func seconds(_ value: Double) -> Duration? {
        guard value.isFinite, value >= 0, value < 1e12 else { return nil }
        let whole = value.rounded(.down)
        return .seconds(Int64(whole)) + .nanoseconds(Int64(((value - whole) * 1e9).rounded()))
    }

    /// The shortest exact text for `duration` in the playbook syntax.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = attoseconds / 1_000_000_000
        if nanoseconds == 0 {
            if seconds % 3600 == 0, seconds > 0 { return "\(seconds / 3600)h" }
            if seconds % 60 == 0, seconds > 0 { return "\(seconds / 60)m" }
            return "\(seconds)s"
        }
        if nanoseconds % 1_000_000 == 0, seconds == 0 { return "\(nanoseconds / 1_000_000)ms" }
        let value = Double(seconds) + Double(nanoseconds) / 1e9
        return "\(value)s"
    }
}

extension String {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
