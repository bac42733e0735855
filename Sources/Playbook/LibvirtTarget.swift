public import Libvirt

/// A `libvirt:` target as written: a connection URI and a running domain,
/// or XML for a transient domain qmpbook creates for the run.
///
/// ```yaml
/// web:     {libvirt: {uri: "qemu+tcp://${host}/system", domain: web-01}}
/// scratch: {libvirt: {uri: "qemu:///system", create: {xml: vm.xml, paused: true}}}
/// ```
///
/// `uri`, `domain` and `xml` may hold `${…}`; the runner resolves them. An
/// `xml` whose text starts with `<` is the domain's XML itself, anything
/// else a file holding it (relative to the playbook's folder).
public struct LibvirtTarget: Sendable {
    public enum Domain: Sendable {
        /// A running domain, by name or UUID.
        case existing(String)
        /// A transient domain created from this XML (or file), started paused or not, destroyed at the end.
        case create(xml: String, paused: Bool)
    }

    /// The libvirt connection URI (may hold `${…}`).
    public var uri: String
    public var domain: Domain

    public init(uri: String, domain: Domain) {
        self.uri = uri
        self.domain = domain
    }

    /// The URI when it holds no `${…}` (so whether it is remote is known before the run), else nil.
    public var literalURI: LibvirtURI? {
        uri.contains("${") ? nil : LibvirtURI(uri)
    }
}

extension LibvirtTarget {
    /// Why `fd:` cannot be used on target `target`, whose URI is remote (for `check` and the runner alike).
    public static func remoteDescriptorProblem(target: String, uri: LibvirtURI) -> String {
        "fd: target '\(target)' is reached over the remote libvirt URI \(uri): libvirt cannot pass a file descriptor "
            + "over a network and closes the whole connection when asked; use a local URI (qemu:///system, qemu+unix://…)"
    }
}
