import QMP
import Synchronization

/// One open `virConnect` to one URI, shared by every target on that URI.
///
/// ```swift
/// let connection = try await LibvirtConnections.shared.acquire(LibvirtURI("qemu:///system"), timeout: .seconds(10))
/// let id = connection.onClose { reason in print(reason) }
/// ```
///
/// libvirt calls its close callback (on the event loop thread) when the
/// daemon goes away; every listener hears it once, with the reason in
/// words, and the next ``LibvirtConnections/acquire(_:timeout:)`` opens a
/// fresh connection.
final class LibvirtConnection: Sendable {
    let uri: LibvirtURI
    let runtime: LibvirtRuntime
    let handle: LibvirtHandle

    private struct State {
        var listeners: [UInt64: @Sendable (QMPError) -> Void] = [:]
        var nextListener: UInt64 = 0
        var closeReason: QMPError?
        /// The targets of each domain (by UUID) that want its events and its stop.
        var domainListeners: [String: [UInt64: DomainListener]] = [:]
        var registering: Completion<Result<EventRegistrations, QMPError>>?
    }

    /// What one target on a domain hears: its QMP events, and why it stopped.
    struct DomainListener: Sendable {
        var onEvent: @Sendable (Event) -> Void
        var onStop: @Sendable (QMPError) -> Void
    }

    private let state = Mutex(State())

    /// Wraps an open connection and registers its close callback and keepalive.
    /// Runs on a thread of ``BlockingThreads`` (both calls talk to the daemon).
    init(uri: LibvirtURI, runtime: LibvirtRuntime, handle: LibvirtHandle) {
        self.uri = uri
        self.runtime = runtime
        self.handle = handle
        let api = runtime.api
        // A peer that stops answering is given up on after about 5 s × 4.
        _ = api.connectSetKeepAlive(handle.pointer, 5, 3)
        let opaque = CallbackContext<Int32>.retained { [weak self] reason in self?.closed(reason: reason) }
        if api.connectRegisterCloseCallback(handle.pointer, connectionClosed, opaque, releaseCallbackContext) != 0 {
            _ = LibvirtFailure.last(in: api, call: "virConnectRegisterCloseCallback")
            CallbackContext<Int32>.releaseUnregistered(opaque)
        }
    }

    /// Why the connection closed, or nil while it is open.
    var closeReason: QMPError? { state.withLock { $0.closeReason } }

    /// Calls `listener` once when the connection closes (at once when it already has).
    /// - Returns: an id for ``removeListener(_:)``.
    @discardableResult
    func onClose(_ listener: @escaping @Sendable (QMPError) -> Void) -> UInt64 {
        let (id, closed) = state.withLock { state -> (UInt64, QMPError?) in
            state.nextListener += 1
            if state.closeReason == nil { state.listeners[state.nextListener] = listener }
            return (state.nextListener, state.closeReason)
        }
        if let closed { listener(closed) }
        return id
    }

    /// Stops calling a listener of ``onClose(_:)`` or ``listen(toDomain:_:timeout:)``.
    func removeListener(_ id: UInt64) {
        state.withLock { state in
            _ = state.listeners.removeValue(forKey: id)
            for uuid in state.domainListeners.keys {
                state.domainListeners[uuid]?.removeValue(forKey: id)
                if state.domainListeners[uuid]?.isEmpty == true { state.domainListeners[uuid] = nil }
            }
        }
    }

    /// Hands `listener` the events and the stop of the domain `uuid` until
    /// ``removeListener(_:)``, registering the connection's event callbacks
    /// the first time (within `timeout`).
    /// - Throws: ``QMPError/Code/connectFailed`` when libvirt refuses the
    ///   registration, ``QMPError/Code/timeout``, ``QMPError/Code/cancelled``.
    func listen(toDomain uuid: String, _ listener: DomainListener, timeout: Duration) async throws(QMPError) -> UInt64 {
        let (registering, isNew) = state.withLock { state -> (Completion<Result<EventRegistrations, QMPError>>, Bool) in
            if let registering = state.registering { return (registering, false) }
            let registering = Completion<Result<EventRegistrations, QMPError>>()
            state.registering = registering
            return (registering, true)
        }
        if isNew {
            _ = BlockingThreads.shared.start { [weak self] in
                guard let self else { return }
                let result = EventRegistrations.register(
                    on: self, onEvent: { [weak self] in self?.dispatch($0) }, onChange: { [weak self] in self?.dispatch($0) })
                registering.complete(result)
                if case .failure = result { self.state.withLock { $0.registering = nil } }
            }
        }
        switch await registering.wait(timeout: timeout) {
        case .value(.success): break
        case .value(.failure(let error)): throw error
        case .timedOut: throw QMPError(.timeout, "libvirt at \(uri) did not register for events within \(timeout.readableDescription)")
        case .cancelled: throw QMPError(.cancelled, "interrupted while subscribing to libvirt events at \(uri)")
        }
        return state.withLock { state in
            state.nextListener += 1
            state.domainListeners[uuid, default: [:]][state.nextListener] = listener
            return state.nextListener
        }
    }

    private func dispatch(_ event: EventRegistrations.QemuEvent) {
        let listeners = state.withLock { $0.domainListeners[event.domainUUID].map { Array($0.values) } ?? [] }
        guard !listeners.isEmpty else { return }
        let converted = event.asEvent
        for listener in listeners { listener.onEvent(converted) }
    }

    private func dispatch(_ change: EventRegistrations.LifecycleChange) {
        guard let reason = change.stopReason else { return }
        let listeners = state.withLock { $0.domainListeners[change.domainUUID].map { Array($0.values) } ?? [] }
        for listener in listeners { listener.onStop(reason) }
    }

    /// The close callback: the daemon went away (or the client closed).
    private func closed(reason: Int32) {
        let words: String
        switch reason {
        case 0: words = "an I/O error on the connection"
        case 1: words = "the daemon closed the connection"
        case 2: words = "the daemon stopped answering keepalives"
        default: words = "the connection was closed"
        }
        let error = QMPError(.connectionClosed, "the libvirt connection to \(uri) closed: \(words)")
        let listeners = state.withLock { state -> [@Sendable (QMPError) -> Void] in
            guard state.closeReason == nil else { return [] }
            state.closeReason = error
            defer { state.listeners = [:] }
            return Array(state.listeners.values)
        }
        for listener in listeners { listener(error) }
        LibvirtConnections.shared.forget(self)
    }

    /// Ends the event registrations, unregisters the close callback and
    /// closes the connection (blocking: call on a thread of ``BlockingThreads``).
    func closeBlocking() {
        if case .success(let registrations)? = state.withLock({ $0.registering?.value }) {
            registrations.deregister(on: self)
        }
        _ = runtime.api.connectUnregisterCloseCallback(handle.pointer, connectionClosed)
        _ = runtime.api.connectClose(handle.pointer)
        runtime.api.resetLastError()
    }
}

/// libvirt's close callback (`virConnectCloseFunc`), on the event loop thread.
private func connectionClosed(_ connection: OpaquePointer?, _ reason: Int32, _ opaque: UnsafeMutableRawPointer?) {
    CallbackContext<Int32>.from(opaque)?.handler(reason)
}
