import FoundationEssentials
import QMP

/// A playbook and the inventory it runs over, loaded and checked together.
public struct FleetDefinition: Sendable {
    public var playbook: Playbook
    public var inventory: Inventory
}

/// Reads an inventory (SPEC.md §11) with the playbook it is for.
///
/// ```swift
/// switch InventoryLoader.load(inventory: "lab.yaml", playbook: "upgrade-check.yaml") {
/// case .success(let fleet): print(fleet.inventory.members.map(\.name))
/// case .failure(let problems): print(problems)   // file:line:column: message, one a line
/// }
/// ```
///
/// The playbook is loaded with `${member.name}` and every name a member's
/// `vars` defines counting as defined; the inventory's member targets are
/// decoded as a playbook's targets are (same keys, same messages, at their
/// place in the inventory) and must each replace a target of the playbook.
/// Every problem of both files comes back, sorted by file and position.
public enum InventoryLoader {
    static let topKeys = ["members", "from-libvirt"]
    static let memberKeys = ["targets", "vars", "count"]
    static let discoveryKeys = ["uri", "domains", "target", "vars", "timeout"]

    public static func load(
        inventory path: String, playbook playbookPath: String, variables overrides: [String: JSONValue] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Result<FleetDefinition, Diagnostics> {
        let bytes: [UInt8]
        switch PlaybookFile.read(path: path, limit: YAMLLimits.maximumFileSize) {
        case .success(let read): bytes = read
        case .failure(let diagnostic): return .failure(Diagnostics([diagnostic]))
        }
        guard bytes.count <= YAMLLimits.maximumFileSize else {
            return .failure(Diagnostics([Diagnostic("\(path): the file is larger than \(YAMLLimits.maximumFileSize >> 20) MiB, the most an inventory may be", at: nil)]))
        }
        let root: YAMLNode?
        var problems: [Diagnostic] = []
        do {
            let parser = YAMLParser(bytes: bytes, file: path)
            root = try parser.parseDocument()
            problems = parser.problems
        } catch {
            return .failure(Diagnostics([error]))
        }
        guard let root else {
            return .failure(Diagnostics([Diagnostic("the file holds no YAML document; an inventory needs 'members' or 'from-libvirt'", at: SourceLocation(file: path, line: 1, column: 1))]))
        }

        // The playbook first: the member targets must replace its targets.
        var playbookOverrides = overrides
        for name in memberVariableNames(root) where playbookOverrides[name] == nil { playbookOverrides[name] = .null }
        playbookOverrides[Variables.memberName] = ["name": ""]
        let playbook: Playbook?
        switch PlaybookLoader.load(path: playbookPath, variables: playbookOverrides) {
        case .success(let loaded): playbook = loaded
        case .failure(let failure):
            playbook = nil
            problems += failure.diagnostics
        }

        let decoder = PlaybookDecoder(file: path, overrides: overrides, environment: environment, source: bytes)
        let inventory = InventoryDecoding(decoder: decoder, playbook: playbook, overrides: overrides).decode(root)
        problems += decoder.diagnostics
        guard let playbook, let inventory, problems.isEmpty else {
            return .failure(Diagnostics(problems.sorted { lhs, rhs in
                let left = lhs.location.map { ($0.file == path ? 1 : 0, $0.line, $0.column) } ?? (0, 0, 0)
                let right = rhs.location.map { ($0.file == path ? 1 : 0, $0.line, $0.column) } ?? (0, 0, 0)
                return left < right
            }))
        }
        return .success(FleetDefinition(playbook: playbook, inventory: inventory))
    }

    /// The names the `vars` of members and discoveries define, without checking anything.
    static func memberVariableNames(_ root: YAMLNode) -> Set<String> {
        guard case .mapping(let top) = root.content else { return [] }
        var varMaps: [YAMLNode] = []
        for pair in top {
            switch (pair.key.scalarText, pair.value.content) {
            case ("members", .mapping(let members)):
                for member in members {
                    guard case .mapping(let keys) = member.value.content else { continue }
                    varMaps += keys.filter { $0.key.scalarText == "vars" }.map(\.value)
                }
            case ("from-libvirt", .sequence(let entries)):
                for entry in entries {
                    guard case .mapping(let keys) = entry.content else { continue }
                    varMaps += keys.filter { $0.key.scalarText == "vars" }.map(\.value)
                }
            default: break
            }
        }
        var names: Set<String> = []
        for node in varMaps {
            guard case .mapping(let pairs) = node.content else { continue }
            for pair in pairs { if let name = pair.key.scalarText { names.insert(name) } }
        }
        return names
    }
}

/// Walks an inventory's YAML tree with a ``PlaybookDecoder`` (for the
/// targets, values and messages a playbook shares), collecting every problem.
struct InventoryDecoding {
    let decoder: PlaybookDecoder
    /// Nil when the playbook itself has problems: the member targets are then not checked against it.
    let playbook: Playbook?
    let overrides: [String: JSONValue]

    func decode(_ root: YAMLNode) -> Inventory? {
        guard let top = decoder.fields(root, of: "the inventory", allowed: InventoryLoader.topKeys, context: "at the top level of an inventory") else {
            return nil
        }
        var members: [InventoryMember] = []
        var discoveries: [LibvirtDiscovery] = []
        var seen: [String: SourceLocation] = [:]
        if let node = top.unlessNull("members"), let pairs = decoder.mapping(node, what: "members") {
            for pair in pairs {
                for member in decodeMember(pair) {
                    if let first = seen[member.name] {
                        decoder.error("member '\(member.name)' is defined twice (first at \(first))", at: pair.key)
                        continue
                    }
                    seen[member.name] = member.location
                    members.append(member)
                }
            }
        }
        if let node = top.unlessNull("from-libvirt"), let elements = decoder.sequence(node, what: "from-libvirt") {
            for element in elements {
                if let discovery = decodeDiscovery(element) { discoveries.append(discovery) }
            }
        }
        if top["members"] == nil, top["from-libvirt"] == nil {
            decoder.error("an inventory needs 'members' (or 'from-libvirt'): who the playbook runs against", at: root)
        } else if members.isEmpty, discoveries.isEmpty, decoder.diagnostics.isEmpty {
            decoder.error("the inventory has no members: add one under 'members' or a 'from-libvirt' entry", at: root)
        }
        return Inventory(path: decoder.file, members: members, discoveries: discoveries)
    }

    /// One entry of `members`: a member, or a template (`ci-*` with `count`) made into its members.
    private func decodeMember(_ pair: YAMLPair) -> [InventoryMember] {
        guard let name = pair.key.scalarText, case .scalar = pair.key.content else {
            decoder.error("a member's name must be a text, not \(decoder.article(decoder.describe(pair.key)))", at: pair.key)
            return []
        }
        let stars = name.filter { $0 == "*" }.count
        let location = decoder.location(pair.key)
        let fields: PlaybookDecoder.Fields?
        if pair.value.isPlainScalar, pair.value.jsonValue.isNull {
            fields = nil
        } else {
            guard let decoded = decoder.fields(pair.value, of: "member '\(name)'", allowed: InventoryLoader.memberKeys, context: "in member '\(name)'") else {
                return []
            }
            fields = decoded
        }
        var count: Int?
        if let node = fields?["count"] {
            if stars == 0 {
                decoder.error("count is for a member template: put one '*' in the name ('\(name)-*') for the number", at: fields?.keyNode("count") ?? node)
            } else if case .int(let value) = node.jsonValue, value >= 1, value <= Int64(Inventory.maximumCount) {
                count = Int(value)
            } else {
                decoder.error("count must be a whole number from 1 to \(Inventory.maximumCount), not \(node.scalarText.map { "'\($0)'" } ?? decoder.article(decoder.describe(node)))", at: node)
                return []
            }
        }
        if stars > 1 {
            decoder.error("member template '\(name)' has more than one '*': the number goes in one place", at: pair.key)
            return []
        }
        if stars == 1, fields?["count"] == nil {
            decoder.error("member template '\(name)' needs count: how many members it makes ('*' becomes 1 … count)", at: pair.key)
            return []
        }
        let example = name.replacing("*", with: "1")
        guard InventoryMember.isValidName(example) else {
            decoder.error("member name '\(name)' cannot be a file name: use letters, digits, '.', '_' and '-' (not first)", at: pair.key)
            return []
        }
        let vars = fields?.unlessNull("vars").map { decodeVars($0) } ?? [:]
        var defined = Variables.builtinNames.union(overrides.keys).union(vars.keys)
        defined.insert(Variables.memberName)
        if let playbook { defined.formUnion(playbook.vars.keys) }
        decoder.defined = defined
        var targets: [TargetSpec] = []
        if let node = fields?.unlessNull("targets"), let pairs = decoder.mapping(node, what: "member '\(name)' targets") {
            for target in pairs {
                let targetName = target.key.scalarText ?? ""
                if let playbook, playbook.target(named: targetName) == nil {
                    let known = playbook.targets.map(\.name)
                    let hint = NameSuggestion.hint(for: targetName, among: known)
                    decoder.error("member '\(name)': the playbook has no target '\(targetName)'\(hint) (it has \(known.joined(separator: ", ")))", at: target.key)
                    continue
                }
                if let spec = decoder.decodeTarget(name: targetName, target.value, key: target.key) { targets.append(spec) }
            }
        }
        guard let count else {
            return [InventoryMember(name: name, targets: targets, vars: vars, location: location)]
        }
        return (1...count).map { number in
            InventoryMember(name: name.replacing("*", with: String(number)), targets: targets, vars: vars, location: location)
        }
    }

    /// A member's `vars`: names usable in `${…}`, not a built-in one.
    private func decodeVars(_ node: YAMLNode) -> JSONObject {
        guard let pairs = decoder.mapping(node, what: "vars") else { return [:] }
        var vars = JSONObject()
        for pair in pairs {
            let key = pair.key.scalarText ?? ""
            if Variables.builtinNames.contains(key) || key == Variables.memberName {
                decoder.error("'\(key)' is a built-in name (${\(key).…}); choose another variable name", at: pair.key)
            } else if key.isEmpty || !key.utf8.allSatisfy(Template.isNameByte) {
                decoder.error("variable name '\(key)' cannot be used in ${…}: use letters, digits, '_' and '-'", at: pair.key)
            }
            vars[key] = pair.value.jsonValue
        }
        return vars
    }

    /// One entry of `from-libvirt`: `{uri, domains: PATTERN, target, vars?, timeout?}`.
    private func decodeDiscovery(_ node: YAMLNode) -> LibvirtDiscovery? {
        guard let fields = decoder.fields(node, of: "a from-libvirt entry", allowed: InventoryLoader.discoveryKeys, context: "in a from-libvirt entry") else {
            return nil
        }
        var defined = Variables.builtinNames.union(overrides.keys)
        if let playbook { defined.formUnion(playbook.vars.keys) }
        decoder.defined = defined
        var uri: String?
        if let uriNode = fields.required("uri"), let text = decoder.string(uriNode, what: "from-libvirt uri") {
            if text.isEmpty {
                decoder.error("from-libvirt uri is empty: write a libvirt URI such as qemu+tcp://host/system", at: uriNode)
            } else {
                decoder.checkTemplates(uriNode)
                uri = text
            }
        }
        var pattern: Pattern?
        if let domains = fields.required("domains") {
            do {
                pattern = try Pattern(domains.jsonValue)
            } catch {
                decoder.error("domains: \(error.description)", at: domains)
            }
        }
        var target: String?
        if let targetNode = fields.required("target"), let name = decoder.string(targetNode, what: "from-libvirt target") {
            if let playbook, playbook.target(named: name) == nil {
                let known = playbook.targets.map(\.name)
                let hint = NameSuggestion.hint(for: name, among: known)
                decoder.error("from-libvirt target: the playbook has no target '\(name)'\(hint) (it has \(known.joined(separator: ", ")))", at: targetNode)
            } else {
                target = name
            }
        }
        let vars = fields.unlessNull("vars").map { decodeVars($0) } ?? [:]
        let timeout = fields["timeout"].flatMap { decoder.duration($0, what: "timeout") }
        guard let uri, let pattern, let target else { return nil }
        return LibvirtDiscovery(
            uri: uri, domains: pattern, target: target, vars: vars, timeout: timeout, location: decoder.location(node))
    }
}
