/// Which domain a libvirt target drives.
///
/// ```swift
/// LibvirtDomain.existing("web-01")                                  // a running domain, by name or UUID
/// LibvirtDomain.create(xml: "<domain type='qemu'>…", paused: true)  // a transient one for this run
/// ```
///
/// A created domain is transient: qmpbook destroys it when the target
/// closes, and libvirt forgets it then.
public enum LibvirtDomain: Sendable, Hashable {
    /// A domain that is already running, by name or UUID.
    case existing(String)
    /// A transient domain started from `xml` (paused: with `VIR_DOMAIN_START_PAUSED`).
    case create(xml: String, paused: Bool)

    /// Whether `text` is written as a UUID (`8-4-4-4-12` hex digits), so it is looked up as one.
    static func isUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}
