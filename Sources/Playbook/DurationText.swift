import QMP

/// Playbook durations: `250ms`, `5s`, `2m`, `1h`, `1.5s`, or a bare number of seconds.
///
/// ```swift
/// DurationText.parse("250ms")   // .milliseconds(250)
/// DurationText.parse("90")      // .seconds(90)
/// DurationText.format(.milliseconds(1500))  // "1.5s"
/// ```
///
/// Negative, empty, and unit-less text other than a number are refused (nil),
/// and so is anything longer than ``maximum`` (8760h, 365 days): a longer
/// deadline cannot be represented by the clocks that wait for it.
/// ``problem(with:)`` says why a text was refused. The command line's
/// `--timeout` uses the same syntax.
public enum DurationText {
    /// The longest duration accepted anywhere: 8760h (365 days).
    public static let maximum: Duration = .seconds(365 * 24 * 3600)

    /// The unit suffixes and their length in seconds, longest suffix first among those sharing a letter.
    private static let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9), ("s", 1), ("m", 60), ("h", 3600)]

    public static func parse(_ text: String) -> Duration? {
        let (number, scale) = split(text)
        guard !number.isEmpty, number.utf8.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") }),
              let value = Double(number), value.isFinite, value >= 0 else { return nil }
        return seconds(value * scale)
    }

    /// A duration from a number of seconds; nil when negative, not finite or above ``maximum``.
    public static func seconds(_ value: Double) -> Duration? {
        guard value.isFinite, value >= 0, value <= Double(maximum.components.seconds) else { return nil }
        let whole = value.rounded(.down)
        return .seconds(Int64(whole)) + .nanoseconds(Int64(((value - whole) * 1e9).rounded()))
    }

    /// Why `text` (as written, or a number's text) is not a duration, in
    /// words for people: negative, longer than ``maximum``, or not a duration at all.
    public static func problem(with text: String) -> String {
        let (number, scale) = split(text)
        if number.hasPrefix("-"), Double(number) != nil || number.lowercased() == "-.inf" { return "'\(text)' is negative; a duration is 0 or more" }
        let infinite = [".inf", "+.inf", "inf", "+inf"].contains(number.lowercased())
        if infinite || (Double(number).map { $0 * scale > Double(maximum.components.seconds) } ?? false) {
            return "'\(text)' is longer than \(format(maximum)) (365 days), the longest duration accepted"
        }
        return "'\(text)' is not a duration; write 250ms, 5s, 2m, 1h or a number of seconds"
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
        // Whole milliseconds read as every message writes them (`250ms`, `1.5s`).
        if nanoseconds % 1_000_000 == 0 { return duration.readableDescription }
        let value = Double(seconds) + Double(nanoseconds) / 1e9
        return "\(value)s"
    }

    /// The number part of `text` (spaces trimmed) and the seconds its unit stands for (1 without a unit).
    private static func split(_ text: String) -> (number: Substring, scale: Double) {
        let trimmed = text.trimmingSpaces
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            return (Substring(trimmed).dropLast(suffix.count), factor)
        }
        return (Substring(trimmed), 1)
    }
}
