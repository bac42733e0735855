import FoundationEssentials
import QMP
import Synchronization

/// libvirt, loaded once per process: the functions, a silent error handler,
/// and the event loop that close callbacks, lifecycle and QMP events need.
///
/// ```swift
/// let runtime = try LibvirtRuntime.shared()   // dlopen on first use only
/// ```
///
/// The event loop (`virEventRegisterDefaultImpl`, then a thread running
/// `virEventRunDefaultImpl`) is registered before the first connection
/// opens, as libvirt requires. `virSetErrorFunc` keeps libvirt from
/// printing errors itself: qmpbook reports them.
final class LibvirtRuntime: Sendable {
    let api: LibvirtAPI
    /// libvirt's version, e.g. 9000000 for 9.0.0.
    let version: UInt

    private static let loaded = Mutex<Result<LibvirtRuntime, QMPError>?>(nil)

    private init(api: LibvirtAPI) throws(QMPError) {
        self.api = api
        var version: UInt = 0
        _ = api.getVersion(&version, nil, nil)
        self.version = version
        api.setErrorFunc(nil, { _, _ in })
        guard api.eventRegisterDefaultImpl() == 0 else {
            throw LibvirtFailure.last(in: api, call: "virEventRegisterDefaultImpl").qmpError(command: nil)
        }
        System.startThread(named: "libvirt-events") {
            while true { _ = api.eventRunDefaultImpl() }
        }
    }

    /// The process's libvirt, loading it on the first call.
    /// - Throws: ``QMPError/Code/unsupported`` when libvirt cannot be loaded
    ///   (the same error on every later call).
    static func shared() throws(QMPError) -> LibvirtRuntime {
        let result = loaded.withLock { loaded -> Result<LibvirtRuntime, QMPError> in
            if let loaded { return loaded }
            let result: Result<LibvirtRuntime, QMPError>
            do throws(QMPError) {
                result = .success(try LibvirtRuntime(api: try LibvirtAPI.load()))
            } catch {
                result = .failure(error)
            }
            loaded = result
            return result
        }
        return try result.get()
    }

    /// The functions, once libvirt is loaded (for C callbacks, which cannot capture).
    static var loadedAPI: LibvirtAPI? { loaded.withLock { try? $0?.get().api } }

    /// Whether libvirt has been loaded into this process.
    static var isLoaded: Bool { loaded.withLock { (try? $0?.get()) != nil } }
}
