/// An owned reference to one libvirt domain (`virDomainPtr`), freed once
/// when the last holder lets go.
final class DomainReference: Sendable {
    let handle: LibvirtHandle
    let runtime: LibvirtRuntime
    /// The domain's name and UUID, read when it was found.
    let name: String
    let uuid: String

    /// Takes ownership of `handle`; reads its name and UUID (local calls, no RPC).
    init(handle: LibvirtHandle, runtime: LibvirtRuntime) {
        self.handle = handle
        self.runtime = runtime
        name = runtime.api.domainGetName(handle.pointer).map { String(cString: $0) } ?? "?"
        var buffer = [CChar](repeating: 0, count: 37)
        uuid = runtime.api.domainGetUUIDString(handle.pointer, &buffer) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    deinit {
        _ = runtime.api.domainFree(handle.pointer)
    }
}
