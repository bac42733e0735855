import FoundationEssentials
import Synchronization

/// A connection to a QEMU guest agent (`qemu-ga`) over the host end of its
/// channel: the unix socket of an `isa-serial` or `virtserialport` chardev.
///
/// ```swift
/// let agent = try await GuestAgent.dial(.unix(path: "/run/vm.qga"), timeout: .seconds(5))
/// _ = try await agent.connect(timeout: .seconds(30))       // waits until the agent answers
/// let info = try await agent.execute("guest-get-osinfo")
/// await agent.disconnect()
/// ```
///
/// The agent speaks QMP's JSON without a greeting, so this engine shares
/// the socket monitor's framing, id routing, deadlines and reader thread
/// (`MonitorDialect.guestAgent`). A serial line keeps no conversation
/// state: a previous client may have left half a command in the agent's
/// parser, or the agent may still be booting. So before its first command,
/// and again after any command that timed out, the engine resynchronises
/// with `guest-sync-delimited`: it sends a 0xFF byte (which resets the
/// agent's parser) and the command with a fresh random id, and drops
/// everything until the reply that carries that id back after the agent's
/// own 0xFF. An agent that does not answer is asked again every
/// ``syncAttemptInterval`` until the caller's timeout.
///
/// Infrastructure failures throw ``QMPError``; an agent error reply is a
/// result of ``request(_:arguments:passing:timeout:)``. Agents take no
/// file descriptors and send no events (``events(bufferLimit:)`` never yields).
public final class GuestAgent: Monitor {
    let core: MonitorCore
    /// How long one `guest-sync-delimited` attempt waits before asking again.
    public let syncAttemptInterval: Duration
    private let state = Mutex(SyncState())

    private struct SyncState {
        var synchronised = false
        var greeting: Greeting?
        var syncs = 0
    }

    init(connection: SocketConnection, options: MonitorOptions, syncAttemptInterval: Duration) {
        core = MonitorCore(connection: connection, options: options, dialect: .guestAgent)
        self.syncAttemptInterval = syncAttemptInterval
    }

    deinit {
        core.close(reason: nil)
    }

    /// Connects to the host end of an agent channel (`unix:` or `tcp:`)
    /// within `timeout`, without retrying.
    /// - Throws: ``QMPError/Code/connectFailed`` or ``QMPError/Code/timeout``.
    public static func dial(_ address: MonitorAddress, timeout: Duration, options: MonitorOptions = .init(),
                            syncAttemptInterval: Duration = .seconds(1)) async throws(QMPError) -> GuestAgent {
        let connection = try await SocketOpening.dialOffThePool(address, timeout: timeout).get()
        return GuestAgent(connection: connection, options: options, syncAttemptInterval: syncAttemptInterval)
    }

    /// Listens on `address` and accepts the one connection of a client-mode
    /// agent chardev within `timeout`.
    /// - Throws: ``QMPError/Code/connectFailed`` or ``QMPError/Code/timeout``.
    public static func listen(on address: MonitorAddress, timeout: Duration, options: MonitorOptions = .init(),
                              syncAttemptInterval: Duration = .seconds(1)) async throws(QMPError) -> GuestAgent {
        let connection = try await onDedicatedThread { SocketOpening.acceptOne(on: address, timeout: timeout) }.get()
        return GuestAgent(connection: connection, options: options, syncAttemptInterval: syncAttemptInterval)
    }

    /// Waits within `timeout` until the agent answers (a resynchronisation),
    /// then asks `guest-info`. The greeting it returns stands in for QMP's:
    /// the agent's version, its enabled commands as ``Greeting/capabilities``.
    /// Agents have no capabilities to negotiate; asking for any is ``QMPError/Code/unsupported``.
    public func connect(capabilities: [String], timeout: Duration) async throws(QMPError) -> Greeting {
        guard capabilities.isEmpty else {
            throw QMPError(.unsupported, "a guest agent has no capabilities to enable (asked for \(capabilities.joined(separator: ", ")))")
        }
        let deadline = core.clock.now + timeout
        try await synchronise(until: deadline)
        let info = try await execute("guest-info", timeout: max(deadline - core.clock.now, .milliseconds(1)))
        let greeting = Self.greeting(fromInfo: info)
        state.withLock { $0.greeting = greeting }
        return greeting
    }

    /// What ``connect(capabilities:timeout:)`` made of `guest-info`; nil before.
    public var greeting: Greeting? { state.withLock { $0.greeting } }

    /// How many resynchronisations have completed (for tests and reports).
    public var synchronisationCount: Int { state.withLock { $0.syncs } }

    /// Sends `command` to the agent (resynchronising first when needed) and
    /// returns its reply. A command that times out makes the next one
    /// resynchronise first, so its late reply can never be taken for another's.
    /// - Throws: ``QMPError/Code/unsupported`` with an fd, ``QMPError/Code/timeout``
    ///   (also when the agent does not answer the resynchronisation in time),
    ///   or the connection's error.
    public func request(_ command: String, arguments: JSONObject?, passing fd: Int32?, timeout: Duration?) async throws(QMPError) -> Reply {
        var message: JSONObject = ["execute": .string(command)]
        if let arguments { message["arguments"] = .object(arguments) }
        return try await exchange(name: command, passing: fd, timeout: timeout) { remaining throws(QMPError) in
            try await core.send(message, name: command, passing: nil, timeout: remaining).reply
        }
    }

    /// Sends raw command bytes to the agent and returns the raw reply line.
    /// - Throws: as ``request(_:arguments:passing:timeout:)``, and
    ///   ``QMPError/Code/commandFailed`` for an error reply, ``QMPError/Code/invalidCommand`` for bad bytes.
    public func run(_ command: [UInt8], passing fd: Int32?, timeout: Duration?) async throws(QMPError) -> [UInt8] {
        try await exchange(name: "the command", passing: fd, timeout: timeout) { remaining throws(QMPError) in
            try await core.runRaw(command, passing: nil, timeout: remaining)
        }
    }

    /// A subscription that never yields an event (agents send none); it ends when the agent closes.
    public func events(bufferLimit: Int?) -> EventSubscription {
        core.subscribe(bufferLimit: bufferLimit ?? core.options.eventBufferLimit)
    }

    public func disconnect(reason: QMPError?) async {
        core.close(reason: reason)
        await core.waitUntilClosed()
    }

    public func close(reason: QMPError?) {
        core.close(reason: reason)
    }

    public var closeReason: QMPError? { core.closeReason }

    /// Lines after a synchronisation that were not agent messages.
    public var protocolErrorCount: Int { core.protocolErrorCount }

    /// Resynchronises (sends 0xFF and `guest-sync-delimited` until the agent
    /// echoes the id back) by `deadline`, dropping what comes before the echo.
    /// - Throws: ``QMPError/Code/timeout`` naming how long the agent stayed silent, or the connection's error.
    public func synchronise(timeout: Duration) async throws(QMPError) {
        try await synchronise(until: core.clock.now + timeout)
    }

    private func synchronise(until deadline: ContinuousClock.Instant) async throws(QMPError) {
        let started = core.clock.now
        core.beginDiscardingGarbage()
        defer { core.endDiscardingGarbage() }
        while true {
            let remaining = deadline - core.clock.now
            guard remaining > .zero else {
                throw QMPError(.timeout, "the guest agent did not answer within \((core.clock.now - started).readableDescription)",
                               command: "guest-sync-delimited")
            }
            let token = Int64.random(in: 1...Int64(Int32.max))
            let attempt = min(syncAttemptInterval, remaining)
            do {
                let received = try await core.send(["execute": "guest-sync-delimited", "arguments": ["id": .int(token)]],
                                                   name: "guest-sync-delimited", passing: nil, timeout: attempt, prefix: [0xFF])
                guard case .success(let value) = received.reply, value == .int(token) else { continue }
                state.withLock {
                    $0.synchronised = true
                    $0.syncs += 1
                }
                return
            } catch where error.code == .timeout {
                continue
            }
        }
    }

    /// Runs `body` with what is left of `timeout` after a resynchronisation
    /// (when one is due); a timeout in `body` makes the next exchange resynchronise.
    private func exchange<T>(name: String, passing fd: Int32?, timeout: Duration?,
                             _ body: (Duration) async throws(QMPError) -> T) async throws(QMPError) -> T {
        if fd != nil {
            throw QMPError(.unsupported, "\(name): a guest agent takes no file descriptors", command: name)
        }
        let timeout = timeout ?? core.options.defaultCommandTimeout
        let deadline = core.clock.now + timeout
        if !state.withLock({ $0.synchronised }) {
            try await synchronise(until: deadline)
        }
        do {
            return try await body(max(deadline - core.clock.now, .milliseconds(1)))
        } catch where error.code == .timeout {
            state.withLock { $0.synchronised = false }
            throw error
        }
    }

    /// A greeting from `guest-info`: `{"version": "7.2.22", "supported_commands": [{"name", "enabled"}…]}`.
    static func greeting(fromInfo info: JSONValue) -> Greeting {
        let parts = (info["version"]?.stringValue ?? "").split(separator: ".").map { Int($0) ?? 0 }
        let version = QEMUVersion(major: parts.first ?? 0, minor: parts.count > 1 ? parts[1] : 0,
                                  micro: parts.count > 2 ? parts[2] : 0, package: "qemu-ga")
        var commands: [String] = []
        if case .array(let supported)? = info["supported_commands"] {
            for entry in supported where entry["enabled"] != .bool(false) {
                if let name = entry["name"]?.stringValue { commands.append(name) }
            }
        }
        return Greeting(version: version, capabilities: commands)
    }
}
