import FoundationEssentials
import QMP

/// Formats dates as the report writes them: RFC 3339 in UTC with milliseconds.
enum Timestamp {
    /// `2026-11-25T02:10:00.123Z`.
    static func string(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = Int64(interval.rounded(.down))
        var milliseconds = Int(((interval - Double(seconds)) * 1000).rounded(.down))
        if milliseconds >= 1000 {
            seconds += 1
            milliseconds -= 1000
        }
        let parts = System.utcTime(seconds)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(parts.year)-\(two(parts.month))-\(two(parts.day))T"
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)).\(millis)Z"
    }

    /// Milliseconds, rounded to microseconds.
    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        let micros = Double(seconds) * 1_000_000 + (Double(attoseconds) / 1e12).rounded()
        return micros / 1000
    }
}
