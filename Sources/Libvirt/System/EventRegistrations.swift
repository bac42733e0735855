internal import CLibvirt
import FoundationEssentials
import QMP

/// A connection's two libvirt event registrations, for every domain on it:
/// QMP events (`virConnectDomainQemuMonitorEventRegister`) and lifecycle
/// changes (`virConnectDomainEventRegisterAny`, to see a domain stop).
///
/// libvirt tracks one registration per callback and domain on a connection
/// ("event callback already tracked" for a second), so two targets on the
/// same domain cannot each register: the connection registers once for all
/// domains and hands each event to the targets of its domain (by UUID).
struct EventRegistrations: Sendable {
    var qemu: Int32?
    var lifecycle: Int32?

    /// What a QMP event callback receives.
    struct QemuEvent: Sendable {
        var domainUUID: String
        var name: String
        var seconds: Int64
        var microseconds: UInt32
        var details: String?
    }

    /// A lifecycle change of one domain.
    struct LifecycleChange: Sendable {
        var domainUUID: String
        var domainName: String
        var event: Int32
        var detail: Int32

        /// Why the domain is gone, when the change is a stop; nil otherwise.
        var stopReason: QMPError? {
            guard event == Int32(VIR_DOMAIN_EVENT_STOPPED.rawValue) else { return nil }
            return QMPError.peerExited("libvirt: domain '\(domainName)' stopped (\(EventRegistrations.stopDetail(detail)))")
        }
    }

    /// Registers both (blocking: on a thread of ``BlockingThreads``).
    static func register(
        on connection: LibvirtConnection,
        onEvent: @escaping @Sendable (QemuEvent) -> Void, onChange: @escaping @Sendable (LifecycleChange) -> Void
    ) -> Result<EventRegistrations, QMPError> {
        let api = connection.runtime.api
        var registrations = EventRegistrations()
        let eventContext = CallbackContext<QemuEvent>.retained(onEvent)
        let qemu = api.connectDomainQemuMonitorEventRegister(
            connection.handle.pointer, nil, nil, qemuMonitorEventReceived, eventContext, releaseCallbackContext, 0)
        guard qemu >= 0 else {
            CallbackContext<QemuEvent>.releaseUnregistered(eventContext)
            let failure = LibvirtFailure.last(in: api, call: "virConnectDomainQemuMonitorEventRegister")
            return .failure(QMPError(.connectFailed, "libvirt at \(connection.uri) refused to stream QMP events: \(failure.message)"))
        }
        registrations.qemu = qemu
        let lifecycleContext = CallbackContext<LifecycleChange>.retained(onChange)
        let lifecycle = api.connectDomainEventRegisterAny(
            connection.handle.pointer, nil, Int32(VIR_DOMAIN_EVENT_ID_LIFECYCLE.rawValue),
            unsafeBitCast(domainLifecycleChanged as LifecycleCallback, to: virConnectDomainEventGenericCallback.self),
            lifecycleContext, releaseCallbackContext)
        guard lifecycle >= 0 else {
            CallbackContext<LifecycleChange>.releaseUnregistered(lifecycleContext)
            let failure = LibvirtFailure.last(in: api, call: "virConnectDomainEventRegisterAny")
            registrations.deregister(on: connection)
            return .failure(QMPError(.connectFailed, "libvirt at \(connection.uri) refused lifecycle events: \(failure.message)"))
        }
        registrations.lifecycle = lifecycle
        return .success(registrations)
    }

    /// Ends both registrations (libvirt then releases their contexts);
    /// failures are ignored: a closed connection has dropped them already.
    func deregister(on connection: LibvirtConnection) {
        let api = connection.runtime.api
        if let qemu, api.connectDomainQemuMonitorEventDeregister(connection.handle.pointer, qemu) != 0 {
            api.resetLastError()
        }
        if let lifecycle, api.connectDomainEventDeregisterAny(connection.handle.pointer, lifecycle) != 0 {
            api.resetLastError()
        }
    }

    static func stopDetail(_ detail: Int32) -> String {
        switch UInt32(bitPattern: detail) {
        case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN.rawValue: return "shut down"
        case VIR_DOMAIN_EVENT_STOPPED_DESTROYED.rawValue: return "destroyed"
        case VIR_DOMAIN_EVENT_STOPPED_CRASHED.rawValue: return "crashed"
        case VIR_DOMAIN_EVENT_STOPPED_MIGRATED.rawValue: return "migrated away"
        case VIR_DOMAIN_EVENT_STOPPED_SAVED.rawValue: return "saved"
        case VIR_DOMAIN_EVENT_STOPPED_FAILED.rawValue: return "QEMU failed"
        default: return "reason \(detail)"
        }
    }
}

extension EventRegistrations.QemuEvent {
    /// The engine's event: `details` (JSON) as data, libvirt's timestamp (0 when QEMU gave none).
    var asEvent: Event {
        var data: JSONObject = [:]
        if let details, case .object(let object)? = try? JSONValue(parsing: details) { data = object }
        return Event(name: name, data: data,
                     timestamp: EventTimestamp(seconds: max(seconds, 0), microseconds: seconds < 0 ? 0 : Int64(microseconds)))
    }
}

private typealias LifecycleCallback = @convention(c) (OpaquePointer?, OpaquePointer?, Int32, Int32, UnsafeMutableRawPointer?) -> Void

/// `virConnectDomainQemuMonitorEventCallback`, on the event loop thread.
private func qemuMonitorEventReceived(
    _ connection: OpaquePointer?, _ domain: OpaquePointer?, _ event: UnsafePointer<CChar>?, _ seconds: Int64,
    _ microseconds: UInt32, _ details: UnsafePointer<CChar>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let event, let domain else { return }
    CallbackContext<EventRegistrations.QemuEvent>.from(opaque)?.handler(
        .init(domainUUID: domainUUID(domain), name: String(cString: event), seconds: seconds, microseconds: microseconds,
              details: details.map { String(cString: $0) }))
}

/// `virConnectDomainEventLifecycleCallback`, on the event loop thread.
private func domainLifecycleChanged(
    _ connection: OpaquePointer?, _ domain: OpaquePointer?, _ event: Int32, _ detail: Int32, _ opaque: UnsafeMutableRawPointer?
) {
    guard let domain, let context = CallbackContext<EventRegistrations.LifecycleChange>.from(opaque) else { return }
    let name = LibvirtRuntime.loadedAPI?.domainGetName(domain).map { String(cString: $0) } ?? "?"
    context.handler(.init(domainUUID: domainUUID(domain), domainName: name, event: event, detail: detail))
}

/// A domain's UUID in text (a local call: libvirt keeps it in the object).
private func domainUUID(_ domain: OpaquePointer) -> String {
    var buffer = [CChar](repeating: 0, count: 37)
    guard LibvirtRuntime.loadedAPI?.domainGetUUIDString(domain, &buffer) == 0 else { return "" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
