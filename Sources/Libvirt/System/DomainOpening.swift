internal import CLibvirt
import QMP

/// Finding, creating and destroying domains: blocking libvirt calls, made
/// on a thread of ``BlockingThreads``.
enum DomainOpening {
    /// The running domain `wanted` names, or a new transient one from its XML.
    /// - Returns: ``QMPError/Code/connectFailed`` with libvirt's reason when
    ///   there is no such domain, it is not running, or the XML is refused.
    static func find(_ wanted: LibvirtDomain, on connection: LibvirtConnection) -> Result<DomainReference, QMPError> {
        let runtime = connection.runtime
        let api = runtime.api
        let uri = connection.uri
        switch wanted {
        case .existing(let text):
            let pointer = LibvirtDomain.isUUID(text)
                ? api.domainLookupByUUIDString(connection.handle.pointer, text)
                : api.domainLookupByName(connection.handle.pointer, text)
            guard let pointer else {
                let failure = LibvirtFailure.last(in: api, call: "virDomainLookupByName")
                return .failure(QMPError(.connectFailed, "libvirt at \(uri) has no domain '\(text)': \(failure.message)"))
            }
            let domain = DomainReference(handle: LibvirtHandle(pointer: pointer), runtime: runtime)
            switch api.domainIsActive(pointer) {
            case 1:
                return .success(domain)
            case 0:
                return .failure(QMPError(.connectFailed, "domain '\(domain.name)' at \(uri) is not running"))
            default:
                let failure = LibvirtFailure.last(in: api, call: "virDomainIsActive")
                return .failure(QMPError(.connectFailed, "libvirt at \(uri) could not tell whether '\(text)' runs: \(failure.message)"))
            }
        case .create(let xml, let paused):
            let flags = paused ? UInt32(VIR_DOMAIN_START_PAUSED.rawValue) : 0
            guard let pointer = api.domainCreateXML(connection.handle.pointer, xml, flags) else {
                let failure = LibvirtFailure.last(in: api, call: "virDomainCreateXML")
                return .failure(QMPError(.connectFailed, "libvirt at \(uri) could not create the domain: \(failure.message)"))
            }
            return .success(DomainReference(handle: LibvirtHandle(pointer: pointer), runtime: runtime))
        }
    }

    /// Destroys a domain (a transient one is then gone); errors are ignored:
    /// the domain may have stopped already, or its daemon gone.
    static func destroy(_ domain: DomainReference) {
        if domain.runtime.api.domainDestroy(domain.handle.pointer) != 0 {
            _ = LibvirtFailure.last(in: domain.runtime.api, call: "virDomainDestroy")
        }
    }
}
