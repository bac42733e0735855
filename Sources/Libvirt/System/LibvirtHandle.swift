/// A libvirt object pointer (`virConnectPtr`, `virDomainPtr`) that may
/// cross threads.
///
/// @unchecked Sendable: libvirt's public objects are reference-counted and
/// safe to use from any thread (libvirt locks inside each call); qmpbook
/// frees each one exactly once, through the type that owns it.
struct LibvirtHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
