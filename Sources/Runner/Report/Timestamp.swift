import FoundationEssentials
import QMP

/// Formats dates as the report writes them: RFC 3339 in UTC with milliseconds.
enum Timestamp {
    /// `2026-11-25T02:10:00.123Z`.
    static func string(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        write(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``string(_:)``'s 24 characters to `output`, without making a String (the report writes one per step).
    static func write(_ date: Date, to output: inout [UInt8]) {
        let interval = date.timeIntervalSince1970
        var seconds = Int64(interval.rounded(.down))
        var milliseconds = Int(((interval - Double(seconds)) * 1000).rounded(.down))
        if milliseconds >= 1000 {
            seconds += 1
            milliseconds -= 1000
        }
        let parts = System.utcTime(seconds)
        func digits(_ value: Int, _ count: Int) {
            switch count {
            case 4:
                digits(value / 100, 2)
                digits(value % 100, 2)
            case 3:
                output.append(UInt8(ascii: "0") + UInt8(value / 100 % 10))
                digits(value % 100, 2)
            default:
                output.append(UInt8(ascii: "0") + UInt8(value / 10 % 10))
                output.append(UInt8(ascii: "0") + UInt8(value % 10))
            }
        }
        digits(parts.year, 4)
        output.append(UInt8(ascii: "-"))
        digits(parts.month, 2)
        output.append(UInt8(ascii: "-"))
        digits(parts.day, 2)
        output.append(UInt8(ascii: "T"))
        digits(parts.hour, 2)
        output.append(UInt8(ascii: ":"))
        digits(parts.minute, 2)
        output.append(UInt8(ascii: ":"))
        digits(parts.second, 2)
        output.append(UInt8(ascii: "."))
        digits(milliseconds, 3)
        output.append(UInt8(ascii: "Z"))
    }

    /// The date a ``string(_:)`` names (`2026-11-25T02:10:00.123Z`), or nil when it is not one.
    static func date(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              bytes[19] == UInt8(ascii: "."), bytes[23] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              let milliseconds = number(20..<23) else { return nil }
        let seconds = System.utcSeconds(.init(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
        return Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1000)
    }

    /// A duration that ``milliseconds(_:)`` wrote.
    static func duration(milliseconds: Double) -> Duration {
        .microseconds(Int64((milliseconds * 1000).rounded()))
    }

    /// Appends `duration` in milliseconds as the report's JSON writes
    /// ``milliseconds(_:)`` (`12.345`, `3`): the same text, made from whole
    /// microseconds without printing a `Double` (the report writes one per step).
    static func writeMilliseconds(_ duration: Duration, to output: inout [UInt8]) {
        let (seconds, attoseconds) = duration.components
        // Under 10^12 ms a double's spacing is finer than a microsecond, so
        // its shortest text is the decimal below; past it, or below zero, the JSON writer decides.
        guard duration >= .zero, seconds < 1_000_000_000 else {
            JSONValue.double(milliseconds(duration)).write(to: &output, indent: nil, level: 0)
            return
        }
        let micros = seconds * 1_000_000 + Int64((Double(attoseconds) / 1e12).rounded())
        JSONValue.writeInteger(micros / 1000, to: &output)
        var fraction = Int(micros % 1000)
        guard fraction != 0 else { return }
        output.append(UInt8(ascii: "."))
        var divisor = 100
        while fraction != 0 {
            output.append(UInt8(ascii: "0") + UInt8(fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }

    /// Milliseconds, rounded to microseconds.
    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        let micros = Double(seconds) * 1_000_000 + (Double(attoseconds) / 1e12).rounded()
        return micros / 1000
    }
}
