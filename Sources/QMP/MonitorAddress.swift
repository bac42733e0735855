/// Where a QMP monitor socket is: a unix socket path or a TCP host and port.
///
/// ```swift
/// try MonitorAddress(parsing: "unix:/run/qemu/vm.qmp")  // .unix(path: "/run/qemu/vm.qmp")
/// try MonitorAddress(parsing: "tcp:127.0.0.1:4444")     // .tcp(host: "127.0.0.1", port: 4444)
/// try MonitorAddress(parsing: "/run/qemu/vm.qmp")       // a bare path is a unix socket
/// ```
///
/// IPv6 hosts are written in brackets: `tcp:[::1]:4444`.
public enum MonitorAddress: Sendable, Hashable {
    case unix(path: String)
    case tcp(host: String, port: UInt16)

    /// Parses `unix:PATH`, `tcp:HOST:PORT`, or a bare path.
    /// - Throws: ``MonitorAddressError`` naming what is wrong.
    public init(parsing text: String) throws(MonitorAddressError) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard !path.isEmpty else { throw MonitorAddressError(text: text, reason: "the unix socket path is empty") }
            self = .unix(path: path)
        } else if text.hasPrefix("tcp:") {
            let rest = text.dropFirst("tcp:".count)
            guard let colon = rest.lastIndex(of: ":") else {
                throw MonitorAddressError(text: text, reason: "expected tcp:HOST:PORT")
            }
            var host = String(rest[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw MonitorAddressError(text: text, reason: "the host is empty") }
            guard let port = UInt16(rest[rest.index(after: colon)...]), port > 0 else {
                throw MonitorAddressError(text: text, reason: "the port must be a number from 1 to 65535")
            }
            self = .tcp(host: host, port: port)
        } else {
            guard !text.isEmpty else { throw MonitorAddressError(text: text, reason: "the address is empty") }
            if let scheme = text.split(separator: ":", maxSplits: 1).first, text.contains(":"),
               !text.contains("/"), scheme.allSatisfy(\.isLetter) {
                throw MonitorAddressError(text: text, reason: "unknown scheme '\(scheme)' (use unix:PATH or tcp:HOST:PORT)")
            }
            self = .unix(path: text)
        }
    }
}

extension MonitorAddress: CustomStringConvertible {
    /// The address in the form `unix:PATH` or `tcp:HOST:PORT`.
    public var description: String {
        switch self {
        case .unix(let path): return "unix:\(path)"
        case .tcp(let host, let port): return host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)"
        }
    }
}

/// A monitor address that could not be parsed.
public struct MonitorAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public var description: String { "invalid address '\(text)': \(reason)" }
}
