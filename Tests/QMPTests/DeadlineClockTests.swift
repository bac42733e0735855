import QEMUTestSupport
import Synchronization
import Testing
@testable import QMP

/// Both clocks keep the ``DeadlineClock`` contract: actions run once, in
/// deadline order, never before their deadline; a passed deadline runs at once.
@Suite(.timeLimit(.minutes(1)))
struct DeadlineClockTests {
    /// What ran, with the clock's time when it ran.
    final class Runs: Sendable {
        private let list = Mutex<[(name: String, at: ContinuousClock.Instant)]>([])
        func add(_ name: String, at instant: ContinuousClock.Instant) { list.withLock { $0.append((name, instant)) } }
        var names: [String] { list.withLock { $0.map(\.name) } }
        var instants: [ContinuousClock.Instant] { list.withLock { $0.map(\.at) } }
    }

    @Test func productionDeadlinesRunOnTheSharedTimerByDefault() {
        #expect(MonitorOptions().clock === DeadlineTimer.shared)
    }

    /// The real timer, in real time (a few milliseconds): the one test of
    /// the production clock's own thread.
    @Test func deadlineTimerRunsActionsInDeadlineOrderAndNeverEarly() async {
        let timer = DeadlineTimer.shared
        let runs = Runs()
        let start = timer.now
        let deadlines: [(String, Duration)] = [("30ms", .milliseconds(30)), ("10ms", .milliseconds(10)),
                                               ("past", .milliseconds(-5)), ("20ms", .milliseconds(20))]
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let remaining = Mutex(deadlines.count)
            for (name, offset) in deadlines {
                timer.schedule(at: start + offset) {
                    runs.add(name, at: timer.now)
                    if remaining.withLock({ $0 -= 1; return $0 }) == 0 { done.resume() }
                }
            }
        }
        #expect(runs.names == ["past", "10ms", "20ms", "30ms"])
        for (instant, offset) in zip(runs.instants, [Duration.zero, .milliseconds(10), .milliseconds(20), .milliseconds(30)]) {
            #expect(instant >= start + offset)
        }
    }

    @Test func testClockRunsOnlyWhatIsDueEachAtItsDeadline() {
        let clock = TestClock()
        let runs = Runs()
        for seconds in [5, 1, 3] {
            clock.schedule(at: clock.now + .seconds(seconds)) { runs.add("\(seconds)s", at: clock.now) }
        }
        #expect(clock.scheduledDelays == [.seconds(1), .seconds(3), .seconds(5)])
        clock.advance(by: .seconds(2))
        #expect(runs.names == ["1s"])
        #expect(clock.elapsed == .seconds(2))
        #expect(clock.scheduledDelays == [.seconds(1), .seconds(3)])
        clock.advance(by: .seconds(3))
        #expect(runs.names == ["1s", "3s", "5s"])
        #expect(runs.instants.map { $0 - clock.start } == [.seconds(1), .seconds(3), .seconds(5)])
        #expect(clock.scheduledCount == 0)
    }

    @Test func testClockRunsWhatActionsScheduleWithinTheSameAdvanceAndPassedDeadlinesAtOnce() {
        let clock = TestClock()
        let runs = Runs()
        clock.schedule(at: clock.now + .seconds(1)) {
            runs.add("first", at: clock.now)
            clock.schedule(at: clock.now + .seconds(1)) { runs.add("second", at: clock.now) }
            clock.schedule(at: clock.now + .seconds(5)) { runs.add("too late", at: clock.now) }
        }
        clock.advance(by: .seconds(3))
        #expect(runs.names == ["first", "second"])
        clock.schedule(at: clock.now) { runs.add("now", at: clock.now) }
        #expect(runs.names == ["first", "second", "now"])
        #expect(clock.scheduledDelays == [.seconds(3)])
    }
}
