import Foundation
import QMP
import Synchronization

/// A ``Monitor`` with no socket: replies come from a script, events from
/// ``emit(_:)``, built only from the engine's package APIs (``EventPublisher``,
/// ``Reply``, ``Event``) the way a guest-agent or libvirt engine would be.
///
/// ```swift
/// let monitor = InMemoryMonitor { monitor, request in
///     if request.command == "stop" { monitor.emit(name: "STOP") }
///     return .success([:])
/// }
/// ```
public final class InMemoryMonitor: Monitor {
    /// One command as the monitor received it.
    public struct Request: Sendable {
        public var command: String
        public var arguments: JSONObject?
        public var fd: Int32?
    }

    public typealias Responder = @Sendable (InMemoryMonitor, Request) -> Reply

    private struct State {
        var greeting: Greeting?
        var closed: QMPError?
        var requests: [Request] = []
    }

    private let offered: Greeting
    private let respond: Responder
    private let publisher = EventPublisher()
    private let state = Mutex(State())

    public init(
        greeting: Greeting = Greeting(version: QEMUVersion(major: 7, minor: 2, micro: 0), capabilities: ["oob"]),
        respond: @escaping Responder = { _, _ in .success(.object([:])) }
    ) {
        self.offered = greeting
        self.respond = respond
    }

    /// Every command received so far, in order.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// Publishes an event to every subscription.
    public func emit(_ event: Event) {
        publisher.publish(event)
    }

    /// Publishes an event named `name` with `data`, stamped now.
    public func emit(name: String, data: JSONObject = [:]) {
        let now = Date().timeIntervalSince1970
        emit(Event(name: name, data: data,
                   timestamp: EventTimestamp(seconds: Int64(now), microseconds: Int64((now * 1_000_000).truncatingRemainder(dividingBy: 1_000_000)))))
    }

    public func connect(capabilities: [String], timeout: Duration) async throws(QMPError) -> Greeting {
        var greeting = offered
        greeting.enabled = capabilities
        let closed = state.withLock { state -> QMPError? in
            if let closed = state.closed { return closed }
            state.greeting = greeting
            return nil
        }
        if let closed { throw closed }
        return greeting
    }

    public var greeting: Greeting? { state.withLock { $0.greeting } }

    public func request(_ command: String, arguments: JSONObject?, passing fd: Int32?, timeout: Duration?) async throws(QMPError) -> Reply {
        let request = Request(command: command, arguments: arguments, fd: fd)
        let closed = state.withLock { state -> QMPError? in
            if let closed = state.closed { return closed }
            state.requests.append(request)
            return nil
        }
        if let closed { throw QMPError(closed.code, "\(command): \(closed.message)", command: command) }
        return respond(self, request)
    }

    public func run(_ command: [UInt8], passing fd: Int32?, timeout: Duration?) async throws(QMPError) -> [UInt8] {
        guard case .object(let message)? = try? JSONValue(parsing: command), let name = message["execute"]?.stringValue else {
            throw QMPError(.invalidCommand, "the command is not a JSON object with 'execute'")
        }
        let reply = try await request(name, arguments: message["arguments"]?.objectValue, passing: fd, timeout: timeout)
        if case .failure(let error) = reply { throw QMPError.commandFailed(error, command: name) }
        return reply.json.jsonBytes
    }

    public func events(bufferLimit: Int?) -> EventSubscription {
        publisher.subscribe(bufferLimit: bufferLimit ?? MonitorOptions().eventBufferLimit)
    }

    public func disconnect(reason: QMPError?) async {
        close(reason: reason)
    }

    public func close(reason: QMPError?) {
        let reason = reason ?? .connectionClosed("the in-memory monitor was closed")
        state.withLock { state in
            if state.closed == nil { state.closed = reason }
        }
        publisher.finish(reason)
    }

    public var closeReason: QMPError? { state.withLock { $0.closed } }

    public var protocolErrorCount: Int { 0 }
}
