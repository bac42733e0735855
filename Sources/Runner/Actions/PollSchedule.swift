/// When an `until` step tries again: every `interval`, and once more just
/// before its deadline when the next interval would end past it, so the
/// step's whole timeout is used (a 5s timeout with a 2s interval polls at
/// 0, 2, 4 and ~4.95 s, not only at 0, 2 and 4).
struct PollSchedule {
    let deadline: ContinuousClock.Instant
    let interval: Duration
    private var lastAttemptScheduled = false

    /// Room left at the deadline for the last attempt's round trip.
    static let reserve: Duration = .milliseconds(50)

    init(deadline: ContinuousClock.Instant, interval: Duration) {
        self.deadline = deadline
        self.interval = interval
    }

    /// How long to wait before the next attempt, or nil when the deadline allows none.
    mutating func pause(now: ContinuousClock.Instant = .now) -> Duration? {
        guard !lastAttemptScheduled else { return nil }
        let last = deadline - Self.reserve
        if now + interval < last { return interval }
        lastAttemptScheduled = true
        return now < last ? last - now : nil
    }
}
