internal import CLibvirt
internal import Glibc
import QMP

/// The libvirt functions qmpbook calls, looked up with `dlsym` in
/// `libvirt.so.0` and `libvirt-qemu.so.0` once they are loaded with `dlopen`.
///
/// Nothing links libvirt: the module map gives its types and constants only,
/// so a process that never opens a libvirt target never maps the libraries.
/// Each member is the C function of the same name (`connectOpen` is
/// `virConnectOpen`); callers read ``LibvirtFailure/last(in:)`` right after a
/// call that failed, on the same thread.
struct LibvirtAPI: Sendable {
    typealias Pointer = OpaquePointer
    typealias Text = UnsafePointer<CChar>

    let getVersion: @convention(c) (UnsafeMutablePointer<UInt>?, UnsafePointer<CChar>?, UnsafeMutablePointer<UInt>?) -> Int32
    let setErrorFunc: @convention(c) (UnsafeMutableRawPointer?, virErrorFunc?) -> Void
    let getLastError: @convention(c) () -> virErrorPtr?
    let resetLastError: @convention(c) () -> Void
    let eventRegisterDefaultImpl: @convention(c) () -> Int32
    let eventRunDefaultImpl: @convention(c) () -> Int32
    let connectOpen: @convention(c) (Text?) -> Pointer?
    let connectClose: @convention(c) (Pointer?) -> Int32
    let connectRegisterCloseCallback: @convention(c) (Pointer?, virConnectCloseFunc?, UnsafeMutableRawPointer?, virFreeCallback?) -> Int32
    let connectUnregisterCloseCallback: @convention(c) (Pointer?, virConnectCloseFunc?) -> Int32
    let connectSetKeepAlive: @convention(c) (Pointer?, Int32, UInt32) -> Int32
    let domainLookupByName: @convention(c) (Pointer?, Text?) -> Pointer?
    let connectListAllDomains: @convention(c) (Pointer?, UnsafeMutablePointer<UnsafeMutablePointer<Pointer?>?>?, UInt32) -> Int32
    let domainLookupByUUIDString: @convention(c) (Pointer?, Text?) -> Pointer?
    let domainCreateXML: @convention(c) (Pointer?, Text?, UInt32) -> Pointer?
    let domainDestroy: @convention(c) (Pointer?) -> Int32
    let domainFree: @convention(c) (Pointer?) -> Int32
    let domainIsActive: @convention(c) (Pointer?) -> Int32
    let domainGetName: @convention(c) (Pointer?) -> Text?
    let domainGetUUIDString: @convention(c) (Pointer?, UnsafeMutablePointer<CChar>?) -> Int32
    let connectDomainEventRegisterAny: @convention(c) (Pointer?, Pointer?, Int32, virConnectDomainEventGenericCallback?, UnsafeMutableRawPointer?, virFreeCallback?) -> Int32
    let connectDomainEventDeregisterAny: @convention(c) (Pointer?, Int32) -> Int32
    let qemuMonitorCommand: @convention(c) (Pointer?, Text?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, UInt32) -> Int32
    let qemuMonitorCommandWithFiles: @convention(c) (
        Pointer?, Text?, UInt32, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UInt32>?,
        UnsafeMutablePointer<UnsafeMutablePointer<Int32>?>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, UInt32
    ) -> Int32
    let connectDomainQemuMonitorEventRegister: @convention(c) (
        Pointer?, Pointer?, Text?, virConnectDomainQemuMonitorEventCallback?, UnsafeMutableRawPointer?, virFreeCallback?, UInt32
    ) -> Int32
    let connectDomainQemuMonitorEventDeregister: @convention(c) (Pointer?, Int32) -> Int32

    /// Loads libvirt with `dlopen` and looks every function up.
    /// - Throws: ``QMPError/Code/unsupported`` naming the library or symbol
    ///   that is missing (libvirt not installed, or too old).
    static func load() throws(QMPError) -> LibvirtAPI {
        let core = try open("libvirt.so.0")
        let qemu = try open("libvirt-qemu.so.0")
        return LibvirtAPI(
            getVersion: try symbol(core, "virGetVersion"),
            setErrorFunc: try symbol(core, "virSetErrorFunc"),
            getLastError: try symbol(core, "virGetLastError"),
            resetLastError: try symbol(core, "virResetLastError"),
            eventRegisterDefaultImpl: try symbol(core, "virEventRegisterDefaultImpl"),
            eventRunDefaultImpl: try symbol(core, "virEventRunDefaultImpl"),
            connectOpen: try symbol(core, "virConnectOpen"),
            connectClose: try symbol(core, "virConnectClose"),
            connectRegisterCloseCallback: try symbol(core, "virConnectRegisterCloseCallback"),
            connectUnregisterCloseCallback: try symbol(core, "virConnectUnregisterCloseCallback"),
            connectSetKeepAlive: try symbol(core, "virConnectSetKeepAlive"),
            domainLookupByName: try symbol(core, "virDomainLookupByName"),
            connectListAllDomains: try symbol(core, "virConnectListAllDomains"),
            domainLookupByUUIDString: try symbol(core, "virDomainLookupByUUIDString"),
            domainCreateXML: try symbol(core, "virDomainCreateXML"),
            domainDestroy: try symbol(core, "virDomainDestroy"),
            domainFree: try symbol(core, "virDomainFree"),
            domainIsActive: try symbol(core, "virDomainIsActive"),
            domainGetName: try symbol(core, "virDomainGetName"),
            domainGetUUIDString: try symbol(core, "virDomainGetUUIDString"),
            connectDomainEventRegisterAny: try symbol(core, "virConnectDomainEventRegisterAny"),
            connectDomainEventDeregisterAny: try symbol(core, "virConnectDomainEventDeregisterAny"),
            qemuMonitorCommand: try symbol(qemu, "virDomainQemuMonitorCommand"),
            qemuMonitorCommandWithFiles: try symbol(qemu, "virDomainQemuMonitorCommandWithFiles"),
            connectDomainQemuMonitorEventRegister: try symbol(qemu, "virConnectDomainQemuMonitorEventRegister"),
            connectDomainQemuMonitorEventDeregister: try symbol(qemu, "virConnectDomainQemuMonitorEventDeregister"))
    }

    private static func open(_ library: String) throws(QMPError) -> UnsafeMutableRawPointer {
        guard let handle = dlopen(library, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            throw QMPError(.unsupported, "libvirt targets need \(library) (apt install libvirt0): \(reason)")
        }
        return handle
    }

    private static func symbol<Function>(_ handle: UnsafeMutableRawPointer, _ name: String) throws(QMPError) -> Function {
        guard let address = dlsym(handle, name) else {
            throw QMPError(.unsupported, "the installed libvirt has no \(name) (libvirt 8.2 or later is needed)")
        }
        return unsafeBitCast(address, to: Function.self)
    }
}
