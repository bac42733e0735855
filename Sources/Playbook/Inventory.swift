public import QMP

/// An inventory (SPEC.md §11): who a playbook runs against in a fleet.
///
/// ```yaml
/// members:
///   web-01: {targets: {vm: {connect: unix:/run/qemu/web-01.qmp}}, vars: {disk: vda}}
///   ci-*: {count: 20, targets: {vm: {launch: [qemu-system-x86_64, -M, none]}}}
/// from-libvirt:
///   - {uri: "qemu+tcp://h2/system", domains: {$regex: "^db-"}, target: vm}
/// ```
///
/// Templates (`ci-*` with `count`) are already expanded into ``members``
/// (`ci-1` … `ci-20`); ``discoveries`` name the members libvirt lists at run
/// time. Loaded with ``InventoryLoader``, which also checks it against the
/// playbook: every member target replaces a target of the playbook.
public struct Inventory: Sendable {
    /// The path the inventory was loaded from, as given.
    public var path: String
    /// The members written in the inventory, templates expanded, in file order.
    public var members: [InventoryMember]
    /// `from-libvirt`: members found by asking libvirt, in file order.
    public var discoveries: [LibvirtDiscovery]

    public init(path: String, members: [InventoryMember], discoveries: [LibvirtDiscovery] = []) {
        self.path = path
        self.members = members
        self.discoveries = discoveries
    }

    /// The most members one template may make (`count`).
    public static let maximumCount = 10_000
}

/// One member of a fleet: its name, the targets it replaces and its variables.
public struct InventoryMember: Sendable {
    /// A file name's worth of text (`web-01`): the member's report is `NAME.report.json`.
    public var name: String
    /// Targets replacing the playbook's targets of the same names (whole definitions).
    public var targets: [TargetSpec]
    /// Added to the playbook's `vars` (replacing those of the same names).
    public var vars: JSONObject
    /// Where the member (or its template) is written.
    public var location: SourceLocation

    public init(name: String, targets: [TargetSpec], vars: JSONObject = [:], location: SourceLocation) {
        self.name = name
        self.targets = targets
        self.vars = vars
        self.location = location
    }

    /// The member applied to `playbook`: its targets replace the playbook's of the same names.
    public func applied(to playbook: Playbook) -> Playbook {
        var result = playbook
        for target in targets {
            if let index = result.targets.firstIndex(where: { $0.name == target.name }) {
                result.targets[index] = target
            }
        }
        return result
    }

    /// What `${member.…}` holds: `{"name": NAME}`.
    public var builtin: JSONValue { ["name": .string(name)] }

    /// Whether `name` can be a member's name: letters, digits, `.`, `_`, `-`, not starting with `.` or `-`.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "."), first != UInt8(ascii: "-"), name.utf8.count <= 200 else {
            return false
        }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}

/// `from-libvirt: [{uri, domains: PATTERN, target}]`: every running domain
/// of `uri` whose name matches `domains` becomes a member named after it,
/// with target `target` as `libvirt: {uri, domain: NAME}`.
public struct LibvirtDiscovery: Sendable {
    /// The libvirt URI (may hold `${…}`).
    public var uri: String
    /// The pattern the domain names must match (a text matches itself; `{$regex: …}`…).
    public var domains: Pattern
    /// The playbook's target the domains replace.
    public var target: String
    /// Added to the playbook's `vars` for every member found.
    public var vars: JSONObject
    /// `timeout` of the listing and of the member targets (connecting + lookup); nil: the runner's default.
    public var timeout: Duration?
    public var location: SourceLocation

    public init(
        uri: String, domains: Pattern, target: String, vars: JSONObject = [:], timeout: Duration? = nil,
        location: SourceLocation
    ) {
        self.uri = uri
        self.domains = domains
        self.target = target
        self.vars = vars
        self.timeout = timeout
        self.location = location
    }

    /// The member of one domain found at `uri` (the entry's, resolved).
    public func member(domain: String, uri: String) -> InventoryMember {
        let spec = TargetSpec(
            name: target, mode: .libvirt(LibvirtTarget(uri: uri, domain: .existing(domain))), timeout: timeout,
            location: location)
        return InventoryMember(name: domain, targets: [spec], vars: vars, location: location)
    }
}
