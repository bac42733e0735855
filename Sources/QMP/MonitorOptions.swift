import Logging

/// Settings for one ``SocketMonitor`` connection.
public struct MonitorOptions: Sendable {
    /// The longest message the peer may send, in bytes (default 64 MiB).
    /// A longer one closes the connection with ``QMPError/Code/messageTooLarge``.
    public var maximumMessageSize: Int
    /// How many undelivered events each ``EventSubscription`` keeps
    /// (default 10,000); past it the oldest are dropped and counted.
    public var eventBufferLimit: Int
    /// The timeout of a command called without one (default 30 seconds).
    public var defaultCommandTimeout: Duration
    /// Where the monitor logs what it drops (replies with unknown ids,
    /// garbage lines). By default nothing is logged.
    public var logger: Logger
    /// What the connection's deadlines are measured and fired by (command
    /// timeouts, the greeting, event waits): ``DeadlineTimer/shared``, or a
    /// test's clock advanced by hand.
    package var clock: any DeadlineClock = DeadlineTimer.shared

    public init(
        maximumMessageSize: Int = 64 << 20,
        eventBufferLimit: Int = 10_000,
        defaultCommandTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "qmp", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.maximumMessageSize = maximumMessageSize
        self.eventBufferLimit = eventBufferLimit
        self.defaultCommandTimeout = defaultCommandTimeout
        self.logger = logger
    }
}
