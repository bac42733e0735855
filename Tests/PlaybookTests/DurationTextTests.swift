import Testing
@testable import Playbook

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("5s", .seconds(5)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("90", .seconds(90)), ("1.5s", .milliseconds(1500)), ("0", .zero), ("10us", .microseconds(10)),
    ])
    func parsesDurations(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "s", "-1s", "5 seconds", "1d", "1m30s", "abc", "1e3s", "inf"])
    func refusesNonDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func formatsShortestText() {
        #expect(DurationText.format(.seconds(5)) == "5s")
        #expect(DurationText.format(.seconds(120)) == "2m")
        #expect(DurationText.format(.milliseconds(250)) == "250ms")
        #expect(DurationText.format(.milliseconds(1500)) == "1.5s")
    }
}
