import Testing
@testable import Runner

/// `until` polling: every interval, then one last attempt just before the
/// deadline; driven with explicit instants, no sleeping.
@Suite struct PollScheduleTests {
    private let start = ContinuousClock.now

    @Test func pollsEveryIntervalThenOnceMoreJustBeforeTheDeadline() {
        var schedule = PollSchedule(deadline: start + .seconds(5), interval: .seconds(2))
        #expect(schedule.pause(now: start) == .seconds(2))
        #expect(schedule.pause(now: start + .seconds(2)) == .seconds(2))
        // 4s + 2s passes the deadline: wait only until just before it.
        #expect(schedule.pause(now: start + .seconds(4)) == .seconds(1) - PollSchedule.reserve)
        #expect(schedule.pause(now: start + .seconds(5) - PollSchedule.reserve) == nil)
    }

    @Test func anIntervalLongerThanTheTimeoutStillGetsALastAttempt() {
        var schedule = PollSchedule(deadline: start + .seconds(1), interval: .seconds(10))
        #expect(schedule.pause(now: start) == .seconds(1) - PollSchedule.reserve)
        #expect(schedule.pause(now: start + .seconds(1)) == nil)
    }

    @Test func noLastAttemptWhenTheDeadlineIsAlreadyAtHand() {
        var schedule = PollSchedule(deadline: start + .milliseconds(30), interval: .milliseconds(10))
        #expect(schedule.pause(now: start + .milliseconds(20)) == nil)
    }
}
