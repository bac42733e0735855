/// A QMP monitor: what a runner calls to drive one QEMU (or any engine that
/// speaks QMP's replies and events) without knowing how it is reached.
///
/// ```swift
/// func status(of monitor: any Monitor) async throws(QMPError) -> JSONValue {
///     try await monitor.execute("query-status")
/// }
/// ```
///
/// ``SocketMonitor`` is the engine over a unix or TCP socket; other engines
/// of this package (a guest agent, libvirt) build their replies and events
/// with the package initialisers of ``Reply`` and ``Event`` and feed
/// subscriptions through `EventPublisher`.
///
/// Infrastructure failures (timeouts, a closed connection, bytes that are
/// not a command) throw ``QMPError``. A QMP error reply is a *result* of
/// ``request(_:arguments:passing:timeout:)``; ``execute(_:arguments:passing:timeout:)``
/// and ``run(_:passing:timeout:)`` throw it as ``QMPError/Code/commandFailed``.
public protocol Monitor: AnyObject, Sendable {
    /// Waits for the greeting, then negotiates `capabilities`, all within `timeout`.
    /// - Returns: the greeting, with ``Greeting/enabled`` set.
    /// - Throws: ``QMPError/Code/timeout``, ``QMPError/Code/malformed``,
    ///   ``QMPError/Code/commandFailed`` when the peer refuses the capabilities,
    ///   or the connection's error.
    func connect(capabilities: [String], timeout: Duration) async throws(QMPError) -> Greeting

    /// The greeting once read (and after ``connect(capabilities:timeout:)``
    /// what was enabled); nil before.
    var greeting: Greeting? { get }

    /// Sends `command` and returns the peer's reply, success or QMP error.
    /// With `fd`, the descriptor goes with the command; the caller keeps and closes it.
    /// A nil `timeout` means the monitor's default.
    /// - Throws: only infrastructure failures: ``QMPError/Code/timeout``,
    ///   ``QMPError/Code/unsupported`` (an fd where it cannot be passed), the connection's error.
    func request(_ command: String, arguments: JSONObject?, passing fd: Int32?, timeout: Duration?) async throws(QMPError) -> Reply

    /// Sends a raw JSON command (an object with `execute`) and returns the raw reply line.
    /// - Throws: ``QMPError/Code/commandFailed`` for an error reply,
    ///   ``QMPError/Code/invalidCommand`` for bytes that are not a command,
    ///   or what ``request(_:arguments:passing:timeout:)`` throws.
    func run(_ command: [UInt8], passing fd: Int32?, timeout: Duration?) async throws(QMPError) -> [UInt8]

    /// Starts recording events: everything that arrives from now on is kept
    /// for the subscription (up to `bufferLimit`, or the monitor's default).
    /// Never throws: on a closed monitor the subscription has ended at once.
    func events(bufferLimit: Int?) -> EventSubscription

    /// Closes the monitor and returns once it is closed. Pending and later
    /// calls fail with `reason` (default ``QMPError/Code/connectionClosed``);
    /// subscriptions end.
    func disconnect(reason: QMPError?) async

    /// Starts closing the monitor and returns at once (safe from a
    /// cancellation handler or an exit callback): pending calls fail with
    /// `reason` now; the rest of the teardown finishes on its own.
    func close(reason: QMPError?)

    /// Why the monitor closed, or nil while it is open.
    var closeReason: QMPError? { get }

    /// How many messages from the peer were not QMP and were skipped.
    var protocolErrorCount: Int { get }
}

extension Monitor {
    // Shorter spellings. Each has a signature of its own (never the
    // requirement's with defaults), so a conformer that forgets a
    // requirement fails to compile instead of recursing.

    /// ``connect(capabilities:timeout:)`` enabling no capabilities.
    public func connect(timeout: Duration) async throws(QMPError) -> Greeting {
        try await connect(capabilities: [], timeout: timeout)
    }

    /// ``request(_:arguments:passing:timeout:)`` without an fd.
    public func request(_ command: String, arguments: JSONObject? = nil, timeout: Duration? = nil) async throws(QMPError) -> Reply {
        try await request(command, arguments: arguments, passing: nil, timeout: timeout)
    }

    /// ``run(_:passing:timeout:)`` without an fd.
    public func run(_ command: [UInt8], timeout: Duration? = nil) async throws(QMPError) -> [UInt8] {
        try await run(command, passing: nil, timeout: timeout)
    }

    /// ``events(bufferLimit:)`` with the monitor's buffer limit.
    public func events() -> EventSubscription {
        events(bufferLimit: nil)
    }

    /// ``disconnect(reason:)`` with ``QMPError/Code/connectionClosed``.
    public func disconnect() async {
        await disconnect(reason: nil)
    }

    /// ``close(reason:)`` with ``QMPError/Code/connectionClosed``.
    public func close() {
        close(reason: nil)
    }

    /// Sends `command` and returns the reply's `return` value.
    /// - Throws: ``QMPError/Code/commandFailed`` (with the QMP class and
    ///   description) for an error reply, or what ``request(_:arguments:passing:timeout:)`` throws.
    @discardableResult
    public func execute(_ command: String, arguments: JSONObject? = nil, passing fd: Int32? = nil, timeout: Duration? = nil) async throws(QMPError) -> JSONValue {
        switch try await request(command, arguments: arguments, passing: fd, timeout: timeout) {
        case .success(let value): return value
        case .failure(let error): throw QMPError.commandFailed(error, command: command)
        }
    }
}
