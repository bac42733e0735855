import Synchronization

/// What feeds ``EventSubscription``s: an engine publishes each event it
/// receives, and ends every subscription when its connection closes.
///
/// ```swift
/// let publisher = EventPublisher()
/// let events = publisher.subscribe(bufferLimit: 100)
/// publisher.publish(Event(name: "STOP", timestamp: EventTimestamp(seconds: 0, microseconds: 0)))
/// publisher.finish(.connectionClosed())
/// ```
///
/// ``SocketMonitor``'s reader thread publishes through one; another engine
/// of this package (a guest agent, libvirt) does the same. ``publish(_:)``
/// never waits for a subscriber (each has its own buffer). Subscriptions are
/// held weakly: one dropped by its owner stops receiving.
package final class EventPublisher: Sendable {
    private struct State {
        var subscriptions: [ObjectIdentifier: WeakSubscription] = [:]
        var end: QMPError?
    }

    private struct WeakSubscription {
        weak var subscription: EventSubscription?
    }

    private let state = Mutex(State())
    /// What the subscriptions' ``EventSubscription/next(timeout:)`` waits are measured by.
    private let clock: any DeadlineClock

    /// A publisher whose subscriptions time their waits on `clock`.
    package init(clock: any DeadlineClock = DeadlineTimer.shared) {
        self.clock = clock
    }

    /// A subscription receiving every event published from now on; one that
    /// has already ended when the publisher is finished.
    package func subscribe(bufferLimit: Int) -> EventSubscription {
        let subscription = EventSubscription(bufferLimit: bufferLimit, clock: clock) { [weak self] identifier in
            self?.state.withLock { _ = $0.subscriptions.removeValue(forKey: identifier) }
        }
        let end = state.withLock { state -> QMPError? in
            if let end = state.end { return end }
            state.subscriptions[ObjectIdentifier(subscription)] = WeakSubscription(subscription: subscription)
            return nil
        }
        if let end { subscription.finish(end) }
        return subscription
    }

    /// Hands `event` to every live subscription (dropped after ``finish(_:)``).
    package func publish(_ event: Event) {
        let subscriptions = state.withLock { $0.subscriptions.values.compactMap(\.subscription) }
        for subscription in subscriptions { subscription.deliver(event) }
    }

    /// Ends every subscription with `reason` (the first reason wins); later
    /// subscriptions end at once. Buffered events stay readable.
    package func finish(_ reason: QMPError) {
        let (subscriptions, end) = state.withLock { state -> ([EventSubscription], QMPError) in
            if state.end == nil { state.end = reason }
            defer { state.subscriptions = [:] }
            return (state.subscriptions.values.compactMap(\.subscription), state.end ?? reason)
        }
        for subscription in subscriptions { subscription.finish(end) }
    }

    /// How many subscriptions are registered.
    package var subscriberCount: Int { state.withLock { $0.subscriptions.count } }
}
