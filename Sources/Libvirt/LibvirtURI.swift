/// What qmpbook needs to know about a libvirt connection URI without
/// opening it: whether it stays on this host.
///
/// ```swift
/// LibvirtURI("qemu:///system").isRemote                          // false
/// LibvirtURI("qemu+unix:///system?socket=/run/l.sock").isRemote  // false
/// LibvirtURI("qemu+tcp://h1/system").transport                   // "tcp"
/// ```
///
/// A URI is local when its transport is `unix`, or when it has no transport
/// and no host (`qemu:///system`). Everything else (`tcp`, `tls`, `ssh`,
/// `libssh`, `libssh2`, `ext`, or a host with no transport, which means TLS)
/// is remote: libvirt cannot pass file descriptors over it.
public struct LibvirtURI: Sendable, Hashable, CustomStringConvertible {
    /// The URI as written.
    public let text: String

    public init(_ text: String) {
        self.text = text
    }

    /// The driver before any `+`, e.g. `qemu`; nil when the text has no scheme.
    public var driver: String? { scheme.map { String($0.split(separator: "+", maxSplits: 1).first ?? "") } }

    /// The transport after `+` (`unix`, `tcp`, `tls`, `ssh`…); nil when none is written.
    public var transport: String? {
        guard let scheme, let plus = scheme.firstIndex(of: "+") else { return nil }
        return String(scheme[scheme.index(after: plus)...])
    }

    /// The host between `//` and the next `/`, empty for `qemu:///system`.
    public var host: String {
        guard let scheme else { return "" }
        let rest = text.dropFirst(scheme.count + 1)
        guard rest.hasPrefix("//") else { return "" }
        let authority = rest.dropFirst(2).prefix { $0 != "/" && $0 != "?" }
        return String(authority)
    }

    /// Whether libvirt reaches the daemon over a network (see the type's summary).
    public var isRemote: Bool {
        switch transport {
        case "unix": return false
        case nil: return !host.isEmpty
        default: return true
        }
    }

    private var scheme: Substring? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else {
            return nil
        }
        return scheme
    }

    public var description: String { text }
}
