import Glibc
import Testing
@testable import QMP

@Suite struct CalendarTimeTests {
    /// What gmtime_r(3) makes of `seconds`, to check the arithmetic against.
    private func libcTime(_ seconds: Int64) -> System.CalendarTime {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return .init(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
                     hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
    }

    @Test func utcTimeAgreesWithGmtimeAroundTheEdgesOfTheCalendar() {
        let day: Int64 = 86_400
        let edges: [Int64] = [
            0, -1, 1, day - 1, day, -day, -day - 1,
            951_782_400,            // 2000-02-29, a leap day of a century divisible by 400
            951_868_800,            // 2000-03-01
            4_107_456_000,          // 2100-02-28, and 2100 is not a leap year
            4_107_542_400,          // 2100-03-01
            1_796_083_200,          // 2026-12-01
            253_402_300_799,        // 9999-12-31T23:59:59
            -2_208_988_800,         // 1900-01-01
            -62_135_596_800,        // 0001-01-01
        ]
        for seconds in edges {
            #expect(System.utcTime(seconds) == libcTime(seconds), "at \(seconds)")
        }
    }

    @Test func utcTimeAgreesWithGmtimeOverFourCenturiesOfDays() {
        // Every 97th day (prime to 7, 365 and 146,097) from 1800 to 2200, at a time of day that moves.
        var seconds: Int64 = -5_364_662_400
        while seconds < 7_258_118_400 {
            #expect(System.utcTime(seconds) == libcTime(seconds), "at \(seconds)")
            seconds += 97 * 86_400 + 3_607
        }
    }

    @Test func utcSecondsUndoesUtcTime() {
        for seconds: Int64 in [0, 951_782_400, 1_796_083_200 + 45_296, -2_208_988_800 + 1] {
            #expect(System.utcSeconds(System.utcTime(seconds)) == seconds)
        }
    }
}
