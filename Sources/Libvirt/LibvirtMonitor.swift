import FoundationEssentials
import QMP
import Synchronization

/// A QMP monitor reached through libvirt: commands pass through
/// `virDomainQemuMonitorCommand`, events come from libvirt's QEMU monitor
/// event stream.
///
/// ```swift
/// let monitor = try await LibvirtMonitor.open(
///     uri: LibvirtURI("qemu+unix:///system?socket=/run/libvirt/libvirt-sock"),
///     domain: .existing("web-01"), timeout: .seconds(10))
/// let events = monitor.events()
/// _ = try await monitor.connect(timeout: .seconds(10))
/// let status = try await monitor.execute("query-status")
/// await monitor.disconnect()
/// ```
///
/// libvirt is loaded (`dlopen`) by the first ``open(uri:domain:timeout:options:)``.
/// Every libvirt call runs on a thread of its own and is bounded by
/// qmpbook's timeouts: libvirt has none for connecting, and a hung QEMU
/// holds a call forever. As on a socket, a QMP error is a ``Reply/failure(_:)``
/// (libvirt returns it as a success); a command's `id` is not sent (libvirt
/// refuses one) and ``run(_:passing:timeout:)`` puts the caller's back.
/// A descriptor passes only on local URIs (``LibvirtURI/isRemote``): over a
/// network libvirt would drop the whole connection, so the engine refuses
/// with ``QMPError/Code/unsupported`` before sending. The domain stopping
/// (libvirt's lifecycle event) or the connection closing closes the monitor
/// with the reason in words. The first command marks the domain
/// `tainted: custom-monitor` in libvirt (``taint``).
public final class LibvirtMonitor: Monitor {
    /// The taint libvirt records on a domain whose monitor is used directly.
    public static let taint = "custom-monitor"

    public let uri: LibvirtURI
    /// The domain's name and UUID as libvirt reports them.
    public let domainName: String
    public let domainUUID: String
    /// Whether this monitor created the (transient) domain, and destroys it when it closes.
    public let createdDomain: Bool

    private let options: MonitorOptions
    private let connection: LibvirtConnection
    private let domain: DomainReference
    private let publisher = EventPublisher()

    private struct State {
        var greeting: Greeting?
        var closeReason: QMPError?
        var nextCall: UInt64 = 0
        var pending: [UInt64: @Sendable (QMPError) -> Void] = [:]
        /// Its listeners on the connection (close, domain events).
        var listeners: [UInt64] = []
        var teardown: Completion<Void>?
    }

    private let state = Mutex(State())

    private init(connection: LibvirtConnection, domain: DomainReference, created: Bool, options: MonitorOptions) {
        self.uri = connection.uri
        self.connection = connection
        self.domain = domain
        self.domainName = domain.name
        self.domainUUID = domain.uuid
        self.createdDomain = created
        self.options = options
    }

    /// Connects to libvirt at `uri` (sharing a connection other targets
    /// hold), finds or creates the domain, and subscribes to its events,
    /// all within `timeout`.
    /// - Throws: ``QMPError/Code/connectFailed`` (libvirt's reason: no such
    ///   domain, not running, refused XML…), ``QMPError/Code/timeout``,
    ///   ``QMPError/Code/cancelled``, or ``QMPError/Code/unsupported`` when
    ///   libvirt cannot be loaded.
    public static func open(
        uri: LibvirtURI, domain wanted: LibvirtDomain, timeout: Duration, options: MonitorOptions = .init()
    ) async throws(QMPError) -> LibvirtMonitor {
        let deadline = ContinuousClock.now + timeout
        let connection = try await LibvirtConnections.shared.acquire(uri, timeout: timeout)
        let created: Bool
        if case .create = wanted { created = true } else { created = false }
        let lookup = BlockingThreads.shared.start(
            { DomainOpening.find(wanted, on: connection) },
            unclaimed: { result in
                // Found or made after the caller gave up: a domain made for this run must not outlive it.
                if created, case .success(let domain) = result { DomainOpening.destroy(domain) }
            })
        let found: DomainReference
        switch await lookup.wait(timeout: remaining(until: deadline)) {
        case .value(.success(let domain)):
            found = domain
        case .value(.failure(let error)):
            LibvirtConnections.shared.release(connection)
            throw error
        case .timedOut:
            LibvirtConnections.shared.release(connection)
            throw QMPError(.timeout, "libvirt at \(uri) did not find domain \(wanted.label) within \(timeout.readableDescription)")
        case .cancelled:
            lookup.complete(.failure(QMPError(.cancelled, "interrupted")))
            LibvirtConnections.shared.release(connection)
            throw QMPError(.cancelled, "interrupted while looking up domain \(wanted.label) at \(uri)")
        }
        let monitor = LibvirtMonitor(connection: connection, domain: found, created: created, options: options)
        let closeListener = connection.onClose { [weak monitor] reason in monitor?.close(reason: reason) }
        monitor.state.withLock { $0.listeners.append(closeListener) }
        do throws(QMPError) {
            let listener = LibvirtConnection.DomainListener(
                onEvent: { [weak monitor] in monitor?.publisher.publish($0) },
                onStop: { [weak monitor] in monitor?.close(reason: $0) })
            let id = try await connection.listen(toDomain: found.uuid, listener, timeout: remaining(until: deadline))
            monitor.state.withLock { $0.listeners.append(id) }
        } catch {
            await monitor.disconnect(reason: error)
            throw error
        }
        return monitor
    }

    private static func remaining(until deadline: ContinuousClock.Instant) -> Duration {
        max(deadline - ContinuousClock.now, .milliseconds(1))
    }

    /// Asks QEMU its version through libvirt (there is no greeting to read:
    /// libvirt did the handshake). Capabilities cannot be chosen here.
    /// - Throws: ``QMPError/Code/unsupported`` for any `capabilities`, or what
    ///   ``request(_:arguments:passing:timeout:)`` throws.
    public func connect(capabilities: [String], timeout: Duration) async throws(QMPError) -> Greeting {
        guard capabilities.isEmpty else {
            throw QMPError(.unsupported, "libvirt targets take no capabilities: libvirt negotiates QMP with QEMU itself")
        }
        let version: JSONValue
        switch try await request("query-version", arguments: nil, passing: nil, timeout: timeout) {
        case .success(let value): version = value
        case .failure(let error): throw QMPError.commandFailed(error, command: "query-version")
        }
        let qemu = version["qemu"]
        let greeting = Greeting(
            version: QEMUVersion(major: Int(qemu?["major"]?.intValue ?? 0), minor: Int(qemu?["minor"]?.intValue ?? 0),
                                 micro: Int(qemu?["micro"]?.intValue ?? 0), package: version["package"]?.stringValue ?? ""),
            capabilities: [])
        state.withLock { $0.greeting = greeting }
        return greeting
    }

    public var greeting: Greeting? { state.withLock { $0.greeting } }

    /// Passes `command` through to QEMU and returns its reply, success or QMP error.
    /// - Throws: ``QMPError/Code/unsupported`` for `qmp_capabilities`, for an
    ///   fd on a remote URI, or when libvirt refuses the command;
    ///   ``QMPError/Code/timeout``; ``QMPError/Code/connectionClosed`` or
    ///   ``QMPError/Code/peerExited`` when the target is gone.
    public func request(_ command: String, arguments: JSONObject?, passing fd: Int32?, timeout: Duration?) async throws(QMPError) -> Reply {
        var message: JSONObject = ["execute": .string(command)]
        if let arguments { message["arguments"] = .object(arguments) }
        let reply = try await passthrough(message, command: command, passing: fd, timeout: timeout)
        guard let parsed = Reply(message: reply) else {
            throw QMPError(.malformed, "libvirt returned a reply to \(command) with neither 'return' nor 'error'", command: command)
        }
        return parsed
    }

    /// Passes a raw JSON command through (its `id` is kept out of what libvirt
    /// sees and put back on the reply) and returns the raw reply.
    public func run(_ command: [UInt8], passing fd: Int32?, timeout: Duration?) async throws(QMPError) -> [UInt8] {
        guard case .object(var message)? = try? JSONValue(parsing: command) else {
            throw QMPError(.invalidCommand, "the command is not a JSON object")
        }
        guard let name = message["execute"]?.stringValue else {
            throw QMPError(.invalidCommand, "the command has no 'execute' member")
        }
        let callerID = message["id"]
        message["id"] = nil
        var reply = try await passthrough(message, command: name, passing: fd, timeout: timeout)
        if case .failure(let error)? = Reply(message: reply) { throw QMPError.commandFailed(error, command: name) }
        reply["id"] = callerID
        return JSONValue.object(reply).jsonBytes
    }

    private func passthrough(_ message: JSONObject, command: String, passing fd: Int32?, timeout: Duration?) async throws(QMPError) -> JSONObject {
        if command == "qmp_capabilities" {
            throw QMPError(.unsupported, "qmp_capabilities is refused on libvirt targets: libvirt negotiates QMP itself", command: command)
        }
        if fd != nil, uri.isRemote {
            throw QMPError(.unsupported, "\(command): libvirt cannot pass a file descriptor over the remote connection \(uri) (it would drop the connection)", command: command)
        }
        var owned: Int32?
        if let fd {
            guard let copy = LibvirtMemory.duplicate(fd) else {
                throw QMPError(.invalidCommand, "\(command): the file descriptor \(fd) to pass is not open", command: command)
            }
            owned = copy
        }
        let call = PassthroughCall(text: JSONValue.object(message).jsonText, descriptor: owned, command: command)
        let domain = self.domain
        let completion = BlockingThreads.shared.start { call.perform(on: domain) }
        let id = state.withLock { state -> UInt64? in
            guard state.closeReason == nil else { return nil }
            state.nextCall += 1
            state.pending[state.nextCall] = { reason in completion.complete(.failure(reason)) }
            return state.nextCall
        }
        guard let id else { throw closedError(command) }
        let budget = timeout ?? options.defaultCommandTimeout
        let outcome = await completion.wait(timeout: budget)
        state.withLock { _ = $0.pending.removeValue(forKey: id) }
        switch outcome {
        case .value(.success(let text)):
            guard case .object(let reply)? = try? JSONValue(parsing: text) else {
                throw QMPError(.malformed, "libvirt returned a reply to \(command) that is not a JSON object", command: command)
            }
            return reply
        case .value(.failure(let error)):
            if let closed = closeReason { throw QMPError(closed.code, "\(command): \(closed.message)", command: command) }
            if error.code == .connectionClosed { close(reason: error) }
            throw error
        case .timedOut:
            throw QMPError(.timeout, "\(command) got no reply through libvirt within \(budget.readableDescription)", command: command)
        case .cancelled:
            throw QMPError(.cancelled, "\(command) was cancelled", command: command)
        }
    }

    private func closedError(_ command: String) -> QMPError {
        let closed = closeReason ?? .connectionClosed()
        return QMPError(closed.code, "\(command): \(closed.message)", command: command)
    }

    public func events(bufferLimit: Int?) -> EventSubscription {
        publisher.subscribe(bufferLimit: bufferLimit ?? options.eventBufferLimit)
    }

    /// Closes the monitor and waits (up to 10 s) until its event
    /// registrations are gone, a created domain is destroyed and the
    /// connection released.
    public func disconnect(reason: QMPError?) async {
        let teardown = beginClose(reason)
        _ = await teardown.wait(timeout: .seconds(10))
    }

    /// Closes the monitor without waiting: pending calls fail with `reason` now.
    public func close(reason: QMPError?) {
        _ = beginClose(reason)
    }

    private func beginClose(_ reason: QMPError?) -> Completion<Void> {
        let reason = reason ?? .connectionClosed("the libvirt target was closed")
        let (teardown, pending, listeners, isFirst) = state.withLock { state -> (Completion<Void>, [@Sendable (QMPError) -> Void], [UInt64], Bool) in
            if let teardown = state.teardown { return (teardown, [], [], false) }
            let teardown = Completion<Void>()
            state.teardown = teardown
            state.closeReason = reason
            defer { state.pending = [:] }
            return (teardown, Array(state.pending.values), state.listeners, true)
        }
        guard isFirst else { return teardown }
        for abort in pending { abort(reason) }
        publisher.finish(reason)
        for listener in listeners { connection.removeListener(listener) }
        let (connection, domain, created) = (self.connection, self.domain, createdDomain)
        _ = BlockingThreads.shared.start {
            if created { DomainOpening.destroy(domain) }
            LibvirtConnections.shared.release(connection)
            teardown.complete(())
        }
        return teardown
    }

    public var closeReason: QMPError? { state.withLock { $0.closeReason } }

    /// Always 0: libvirt parses QEMU's messages itself.
    public var protocolErrorCount: Int { 0 }
}

extension LibvirtDomain {
    /// The domain as messages name it: `'web-01'`, or `created from XML`.
    var label: String {
        switch self {
        case .existing(let name): return "'\(name)'"
        case .create: return "created from XML"
        }
    }
}
