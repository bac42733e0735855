import Testing
@testable import QMP

@Suite struct DurationReadableTests {
    @Test func messagesShowMillisecondsAtMost() {
        #expect(Duration.milliseconds(250).readableDescription == "250ms")
        #expect(Duration.seconds(2).readableDescription == "2s")
        #expect(Duration.milliseconds(1500).readableDescription == "1.5s")
        #expect((Duration.seconds(1) + .nanoseconds(999_651_164)).readableDescription == "2s")
        #expect((Duration.seconds(1) + .nanoseconds(998_600_000)).readableDescription == "1.999s")
        #expect(Duration.zero.readableDescription == "0ms")
    }
}
