import FoundationEssentials
import Logging
import Synchronization

/// A QMP connection to one QEMU monitor socket.
///
/// ```swift
/// let monitor = try await SocketMonitor.dial(.unix(path: "/run/vm.qmp"), timeout: .seconds(5))
/// let events = monitor.events()
/// let greeting = try await monitor.connect(timeout: .seconds(5))
/// let status = try await monitor.execute("query-status")
/// await monitor.disconnect()
/// ```
///
/// Commands may be issued from any number of tasks at once: each gets an
/// id, and replies are matched by id, whatever order they and events come
/// in. One reader thread per connection reads the socket (blocking reads
/// never run on the cooperative pool); it starts with the first call to
/// ``events(bufferLimit:)``, ``connect(capabilities:timeout:)`` or a command,
/// so subscribe before connecting to see events sent before the greeting.
///
/// Infrastructure failures throw ``QMPError``. A QMP error reply is a
/// result of ``request(_:arguments:passing:timeout:)`` and is thrown by
/// ``Monitor/execute(_:arguments:passing:timeout:)`` and ``run(_:passing:timeout:)``.
/// Every command has a timeout (the monitor's default when not given); a
/// timed-out command's late reply is dropped and the connection stays usable.
public final class SocketMonitor: Monitor {
    let core: MonitorCore

    init(connection: SocketConnection, options: MonitorOptions) {
        core = MonitorCore(connection: connection, options: options)
    }

    deinit {
        core.close(reason: nil)
    }

    /// Connects to a monitor socket (`unix:` or `tcp:`) within `timeout`.
    /// Does not retry: a missing socket or a refused connection fails at once.
    /// - Throws: ``QMPError/Code/connectFailed`` or ``QMPError/Code/timeout``.
    public static func dial(_ address: MonitorAddress, timeout: Duration, options: MonitorOptions = .init()) async throws(QMPError) -> SocketMonitor {
        let connection = try await SocketOpening.dialOffThePool(address, timeout: timeout).get()
        return SocketMonitor(connection: connection, options: options)
    }

    /// Listens on `address`, accepts exactly one connection (QEMU started with
    /// a client-mode chardev) within `timeout`, then stops listening and
    /// removes the unix socket file it made.
    /// - Throws: ``QMPError/Code/connectFailed`` or ``QMPError/Code/timeout``.
    public static func listen(on address: MonitorAddress, timeout: Duration, options: MonitorOptions = .init()) async throws(QMPError) -> SocketMonitor {
        let connection = try await onDedicatedThread { SocketOpening.acceptOne(on: address, timeout: timeout) }.get()
        return SocketMonitor(connection: connection, options: options)
    }

    /// Waits for QEMU's greeting, then sends `qmp_capabilities` (enabling
    /// `capabilities`), all within `timeout`.
    /// - Returns: the greeting, with ``Greeting/enabled`` set.
    /// - Throws: ``QMPError/Code/timeout``, ``QMPError/Code/malformed`` for a
    ///   garbage greeting, ``QMPError/Code/commandFailed`` when QEMU refuses
    ///   the capabilities, or the connection's error.
    public func connect(capabilities: [String] = [], timeout: Duration) async throws(QMPError) -> Greeting {
        let deadline = core.clock.now + timeout
        var greeting = try await core.awaitGreeting(timeout: timeout)
        var command: JSONObject = ["execute": "qmp_capabilities"]
        if !capabilities.isEmpty {
            command["arguments"] = .object(["enable": .array(capabilities.map { .string($0) })])
        }
        let remaining = deadline - core.clock.now
        guard remaining > .zero else {
            // Not "qmp_capabilities got no reply within 0ms": it was never given time.
            throw QMPError(.timeout, "the QMP handshake did not finish within \(timeout.readableDescription): the greeting took all of it",
                           command: "qmp_capabilities")
        }
        let reply = try await core.send(command, name: "qmp_capabilities", passing: nil, timeout: remaining)
        if case .failure(let error) = reply.reply {
            throw QMPError.commandFailed(error, command: "qmp_capabilities")
        }
        greeting.enabled = capabilities
        core.setHandshake(greeting)
        return greeting
    }

    /// The greeting: what QEMU offered, and after ``connect(capabilities:timeout:)``
    /// what was enabled. Nil until the greeting has been read.
    public var greeting: Greeting? { core.greeting }

    /// Starts recording events: everything that arrives from now on is kept
    /// for this subscription (up to `bufferLimit`, default
    /// ``MonitorOptions/eventBufferLimit``, dropping the oldest past it).
    public func events(bufferLimit: Int? = nil) -> EventSubscription {
        core.subscribe(bufferLimit: bufferLimit ?? core.options.eventBufferLimit)
    }

    /// Sends a raw JSON command (an object with `execute`) and returns the
    /// raw reply line. The engine sets the command's `id`; the reply carries
    /// the caller's own `id` back when the command had one (and the engine's
    /// otherwise). With `fd`, the descriptor is attached by SCM_RIGHTS in the
    /// same `sendmsg` (unix sockets only; the `oob` capability is not needed);
    /// the caller keeps it and closes it.
    /// - Throws: ``QMPError/Code/commandFailed`` for an error reply,
    ///   ``QMPError/Code/invalidCommand`` for bytes that are not a command,
    ///   ``QMPError/Code/unsupported`` for an fd on TCP,
    ///   ``QMPError/Code/timeout``, or the connection's error.
    public func run(_ command: [UInt8], passing fd: Int32? = nil, timeout: Duration? = nil) async throws(QMPError) -> [UInt8] {
        try await core.runRaw(command, passing: fd, timeout: timeout)
    }

    /// Sends `command` and returns QEMU's reply, success or QMP error.
    /// With `fd`, the descriptor is passed by SCM_RIGHTS (unix sockets only);
    /// the caller keeps it and closes it.
    /// - Throws: only infrastructure failures: ``QMPError/Code/timeout``,
    ///   ``QMPError/Code/unsupported``, or the connection's error.
    public func request(_ command: String, arguments: JSONObject? = nil, passing fd: Int32? = nil, timeout: Duration? = nil) async throws(QMPError) -> Reply {
        var message: JSONObject = ["execute": .string(command)]
        if let arguments { message["arguments"] = .object(arguments) }
        return try await core.send(message, name: command, passing: fd, timeout: timeout).reply
    }

    /// Closes the connection. Pending and later calls fail with `reason`
    /// (nil: ``QMPError/Code/connectionClosed``); event subscriptions end.
    /// Returns once the socket is closed.
    public func disconnect(reason: QMPError? = nil) async {
        core.close(reason: reason)
        await core.waitUntilClosed()
    }

    /// Closes the connection without waiting: pending calls fail with
    /// `reason` (nil: ``QMPError/Code/connectionClosed``) at once and the
    /// reader thread closes the socket on its own.
    public func close(reason: QMPError? = nil) {
        core.close(reason: reason)
    }

    /// An executor that runs tasks on this connection's reader thread, so a
    /// reply resumes its caller without waking a second thread. Getting it
    /// starts the reader. See ``ConnectionExecutor`` for what code running
    /// there must not do.
    ///
    /// ```swift
    /// try await withTaskExecutorPreference(monitor.executor) {
    ///     for _ in 0..<1000 { try await monitor.execute("query-status") }
    /// }
    /// ```
    public var executor: ConnectionExecutor {
        core.startReader()
        return core.executor
    }

    /// How many lines the peer sent after the greeting that were not QMP
    /// messages (skipped and logged).
    public var protocolErrorCount: Int { core.protocolErrorCount }

    /// Why the connection closed, or nil while it is open.
    public var closeReason: QMPError? { core.closeReason }
}

/// Runs a blocking `body` on a new thread, off the cooperative pool.
func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        System.startThread(named: "qmp-blocking") { continuation.resume(returning: body()) }
    }
}
