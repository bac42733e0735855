internal import CLibvirt
import QMP

/// Which domains a libvirt daemon runs: what an inventory's `from-libvirt` asks.
///
/// ```swift
/// let names = try await LibvirtDomains.running(at: LibvirtURI("qemu+tcp://h2/system"), timeout: .seconds(10))
/// ```
public enum LibvirtDomains {
    /// The names of the running domains at `uri`, sorted, within `timeout`
    /// (opening the connection included; a connection already open is shared).
    /// - Throws: ``QMPError/Code/connectFailed`` with libvirt's reason,
    ///   ``QMPError/Code/timeout``, ``QMPError/Code/cancelled``, or
    ///   ``QMPError/Code/unsupported`` when libvirt cannot be loaded.
    public static func running(at uri: LibvirtURI, timeout: Duration) async throws(QMPError) -> [String] {
        let deadline = ContinuousClock.now + timeout
        let connection = try await LibvirtConnections.shared.acquire(uri, timeout: timeout)
        defer { LibvirtConnections.shared.release(connection) }
        let listing = BlockingThreads.shared.start { list(on: connection) }
        let left = deadline - ContinuousClock.now
        switch await listing.wait(timeout: max(left, .milliseconds(1))) {
        case .value(let result):
            return try result.get()
        case .timedOut:
            throw QMPError(.timeout, "libvirt at \(uri) did not list its domains within \(timeout.readableDescription)")
        case .cancelled:
            throw QMPError(.cancelled, "interrupted while listing the domains at \(uri)")
        }
    }

    /// `virConnectListAllDomains(ACTIVE)` and each one's name; blocking.
    private static func list(on connection: LibvirtConnection) -> Result<[String], QMPError> {
        let api = connection.runtime.api
        var domains: UnsafeMutablePointer<OpaquePointer?>?
        let count = api.connectListAllDomains(
            connection.handle.pointer, &domains, UInt32(VIR_CONNECT_LIST_DOMAINS_ACTIVE.rawValue))
        guard count >= 0 else {
            let failure = LibvirtFailure.last(in: api, call: "virConnectListAllDomains")
            return .failure(QMPError(.connectFailed, "libvirt at \(connection.uri) could not list its domains: \(failure.message)"))
        }
        var names: [String] = []
        if let domains {
            for index in 0..<Int(count) {
                guard let domain = domains[index] else { continue }
                if let name = api.domainGetName(domain) { names.append(String(cString: name)) }
                _ = api.domainFree(domain)
            }
            LibvirtMemory.freeArray(domains)
        }
        return .success(names.sorted())
    }
}
