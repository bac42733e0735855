/// The time the engine's deadlines are measured in, and what runs an action
/// once a deadline has passed.
///
/// ```swift
/// let clock: any DeadlineClock = DeadlineTimer.shared      // the real one
/// let deadline = clock.now + .seconds(5)
/// clock.schedule(at: deadline) { print("late") }
/// ```
///
/// Everything in `QMP` that waits with a timeout (command replies, the
/// greeting, ``EventSubscription/next(timeout:)``, a guest agent's
/// resynchronisation) reads `now` and schedules its deadline here, never on
/// `ContinuousClock` directly. ``DeadlineTimer/shared`` is the default
/// (``MonitorOptions/clock``); tests pass a clock they advance by hand, so
/// a timeout fires when the test says so, without sleeping.
///
/// Instants are `ContinuousClock` instants whatever the clock, so the
/// engine stores them without generics. There is no cancellation: an action
/// must check whether it still has anything to do. Actions must be short
/// and never block (they run on the timer's thread, or the thread that
/// advances a test clock).
package protocol DeadlineClock: AnyObject, Sendable {
    /// The current instant on this clock.
    var now: ContinuousClock.Instant { get }

    /// Runs `action` once, at or after `deadline`; a deadline already
    /// passed runs it as soon as possible.
    func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void)
}
