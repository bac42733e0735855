/// What a libvirt C callback needs, carried through its `opaque` pointer.
///
/// ```swift
/// let opaque = CallbackContext.retained { (event: QemuEvent) in … }
/// api.connectDomainQemuMonitorEventRegister(…, opaque, CallbackContext.release, 0)
/// // in the C callback:  CallbackContext<QemuEvent>.take(opaque)?.handler(event)
/// ```
///
/// C callbacks cannot capture, so the handler travels as an `Unmanaged`
/// reference retained once in ``retained(_:)``; libvirt's free callback
/// (``release``) drops it when the registration ends. When libvirt refuses
/// the registration it never calls the free callback: the registrant calls
/// ``releaseUnregistered(_:)`` then.
final class CallbackContext<Argument>: Sendable {
    let handler: @Sendable (Argument) -> Void

    private init(_ handler: @escaping @Sendable (Argument) -> Void) {
        self.handler = handler
    }

    /// A retained context for `handler`, as an `opaque` pointer.
    static func retained(_ handler: @escaping @Sendable (Argument) -> Void) -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(CallbackContext(handler)).toOpaque()
    }

    /// The context behind `opaque`, without changing its retain count.
    static func from(_ opaque: UnsafeMutableRawPointer?) -> CallbackContext? {
        opaque.map { Unmanaged<CallbackContext>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Releases a context libvirt never took (the registration failed).
    static func releaseUnregistered(_ opaque: UnsafeMutableRawPointer) {
        Unmanaged<CallbackContext>.fromOpaque(opaque).release()
    }
}

/// libvirt's free callback for every ``CallbackContext``: drops the
/// reference ``CallbackContext/retained(_:)`` took. The contexts are
/// released through a type-erased base, since a C function cannot be generic.
func releaseCallbackContext(_ opaque: UnsafeMutableRawPointer?) {
    guard let opaque else { return }
    Unmanaged<AnyObject>.fromOpaque(opaque).release()
}
