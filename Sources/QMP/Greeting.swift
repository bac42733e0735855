/// What QEMU says when a client connects, and what the handshake enabled.
public struct Greeting: Sendable, Equatable {
    /// QEMU's version.
    public var version: QEMUVersion
    /// The capabilities QEMU offered (for example `oob`).
    public var capabilities: [String]
    /// The capabilities enabled by `qmp_capabilities` (empty until the handshake is done).
    public var enabled: [String]

    public init(version: QEMUVersion, capabilities: [String], enabled: [String] = []) {
        self.version = version
        self.capabilities = capabilities
        self.enabled = enabled
    }

    /// Reads the `QMP` member of a greeting message; nil when it is not one.
    package init?(message: JSONObject) {
        guard let qmp = message["QMP"], let version = qmp["version"],
              let qemu = version["qemu"],
              let major = qemu["major"]?.intValue, let minor = qemu["minor"]?.intValue,
              let micro = qemu["micro"]?.intValue
        else { return nil }
        let capabilities = qmp["capabilities"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.init(version: QEMUVersion(major: Int(major), minor: Int(minor), micro: Int(micro),
                                       package: version["package"]?.stringValue ?? ""),
                  capabilities: capabilities)
    }
}

/// A QEMU version as the greeting reports it.
public struct QEMUVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var micro: Int
    /// The distribution's package string, e.g. `Debian 1:7.2+dfsg-7`; may be empty.
    public var package: String

    public init(major: Int, minor: Int, micro: Int, package: String = "") {
        self.major = major
        self.minor = minor
        self.micro = micro
        self.package = package
    }

    /// `7.2.0`, followed by the package in parentheses when there is one.
    public var description: String {
        let number = "\(major).\(minor).\(micro)"
        let trimmed = package.trimmingSpaces
        return trimmed.isEmpty ? number : "\(number) (\(trimmed))"
    }
}

extension String {
    /// The text without leading and trailing spaces (only U+0020: tabs and line breaks stay).
    package var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
