/// A libvirt domain written as one address, for `qmpbook exec` and `events`:
/// `libvirt:URI#DOMAIN`.
///
/// ```swift
/// let address = try LibvirtAddress(parsing: "libvirt:qemu+tcp://h1/system#web-01")
/// address.uri.text   // "qemu+tcp://h1/system"
/// address.domain     // "web-01" (a name or a UUID)
/// ```
///
/// The domain is what follows the `#`. There is one `#`: a URI holding
/// `#` (or a domain name with one) cannot be written this way; use a
/// playbook's `libvirt: {uri, domain}` target instead.
public struct LibvirtAddress: Sendable, Hashable, CustomStringConvertible {
    public static let prefix = "libvirt:"

    public var uri: LibvirtURI
    /// The domain's name or UUID.
    public var domain: String

    public init(uri: LibvirtURI, domain: String) {
        self.uri = uri
        self.domain = domain
    }

    /// Whether `text` is meant as a libvirt address (it starts with `libvirt:`).
    public static func isLibvirt(_ text: String) -> Bool { text.hasPrefix(prefix) }

    /// Parses `libvirt:URI#DOMAIN`.
    /// - Throws: a message saying what is missing.
    public init(parsing text: String) throws(LibvirtAddressError) {
        guard text.hasPrefix(Self.prefix) else {
            throw LibvirtAddressError(text: text, reason: "a libvirt address starts with 'libvirt:'")
        }
        let rest = text.dropFirst(Self.prefix.count)
        guard let hash = rest.firstIndex(of: "#") else {
            throw LibvirtAddressError(text: text, reason: "expected libvirt:URI#DOMAIN (the domain after '#')")
        }
        guard rest[rest.index(after: hash)...].firstIndex(of: "#") == nil else {
            throw LibvirtAddressError(
                text: text, reason: "more than one '#': write libvirt:URI#DOMAIN with one '#' (a URI containing '#' is not supported)")
        }
        let uri = String(rest[..<hash])
        let domain = String(rest[rest.index(after: hash)...])
        guard !uri.isEmpty else { throw LibvirtAddressError(text: text, reason: "the libvirt URI is empty") }
        guard !domain.isEmpty else { throw LibvirtAddressError(text: text, reason: "the domain after '#' is empty") }
        self.init(uri: LibvirtURI(uri), domain: domain)
    }

    public var description: String { "\(Self.prefix)\(uri.text)#\(domain)" }
}

/// A `libvirt:` address that could not be parsed.
public struct LibvirtAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public var description: String { "invalid address '\(text)': \(reason)" }
}
