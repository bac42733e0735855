import Libvirt
import QMP

extension PlaybookDecoder {
    func decodeTargets(_ top: Fields) -> [TargetSpec] {
        guard let node = top.required("targets"), let pairs = mapping(node, what: "targets") else { return [] }
        if pairs.isEmpty { error("'targets' needs at least one target", at: node) }
        var targets: [TargetSpec] = []
        for pair in pairs {
            let name = pair.key.scalarText ?? ""
            targetNames.append(name)
            if let target = decodeTarget(name: name, pair.value, key: pair.key) { targets.append(target) }
        }
        return targets
    }

    func decodeTarget(name: String, _ node: YAMLNode, key: YAMLNode) -> TargetSpec? {
        guard let target = fields(node, of: "target '\(name)'", allowed: Self.targetKeys, context: "in target '\(name)'") else { return nil }
        let present = ["connect", "listen", "launch", "libvirt"].filter { target[$0] != nil }
        var mode: TargetSpec.Mode?
        if present.isEmpty {
            error("target '\(name)' needs one of connect, listen, launch or libvirt", at: node)
        } else if present.count > 1 {
            error("target '\(name)' has both \(present[0]) and \(present[1]); give only one", at: target.keyNode(present[1]) ?? node)
        } else if let address = target["connect"] {
            mode = self.address(address, what: "connect").map(TargetSpec.Mode.connect)
        } else if let address = target["listen"] {
            mode = self.address(address, what: "listen").map(TargetSpec.Mode.listen)
        } else if let launch = target["launch"] {
            mode = decodeLaunch(launch)
        } else if let libvirt = target["libvirt"] {
            mode = decodeLibvirt(libvirt).map(TargetSpec.Mode.libvirt)
        }
        var capabilities: [String] = []
        if let node = target.unlessNull("capabilities") { capabilities = strings(node, what: "capabilities") }
        if target["libvirt"] != nil, let node = target.keyNode("capabilities") {
            error("capabilities: libvirt targets take none: libvirt negotiates QMP with QEMU itself", at: node)
        }
        if case .libvirt(let libvirt)? = mode { libvirtTargets[name] = libvirt }
        let timeout = target["timeout"].flatMap { duration($0, what: "timeout") }
        let autostart = target["autostart"].flatMap { bool($0, what: "autostart") } ?? true
        guard let mode else { return nil }
        var spec = TargetSpec(
            name: name, mode: mode, capabilities: capabilities, timeout: timeout, location: location(key),
            autostart: autostart)
        decodeChannels(target, into: &spec)
        return spec
    }

    func address(_ node: YAMLNode, what: String) -> String? {
        guard let text = string(node, what: what) else { return nil }
        if text.contains("${") {
            checkTemplates(node)
        } else if !isMonitorAddress(text, what: what, at: node) {
            return nil
        }
        return text
    }

    /// Whether `text` is a monitor address (`unix:PATH`, `tcp:HOST:PORT`, a path); if not, the problem at `node`.
    func isMonitorAddress(_ text: String, what: String, at node: YAMLNode) -> Bool {
        do {
            _ = try MonitorAddress(parsing: text)
            return true
        } catch {
            self.error("\(what): \(error.description)", at: node)
            return false
        }
    }

    func decodeLaunch(_ node: YAMLNode) -> TargetSpec.Mode? {
        var commandNode = node
        var environment: [String: JSONValue] = [:]
        if case .mapping = node.content {
            guard let launch = fields(node, of: "launch", allowed: Self.launchKeys, context: "in launch"),
                  let command = launch.required("command") else { return nil }
            commandNode = command
            if let env = launch["env"] { environment = self.environment(env, what: "launch.env") }
        }
        guard let (command, elements) = arguments(
            commandNode, what: "a launch argument",
            notAList: "launch must be a list (the QEMU command and its arguments) or a map with command and env, not a \(describe(commandNode))",
            empty: "launch needs at least the QEMU program") else { return nil }
        if command.first?.stringValue?.isEmpty == true { error("launch needs a program name, not an empty string", at: elements[0]) }
        for element in elements {
            guard let text = element.scalarText, text == "-daemonize" || text == "--daemonize" else { continue }
            // QEMU would fork and its first process exit at once: qmpbook could
            // neither tell a crash from success nor stop the VM it started.
            error("launch: remove \(text): qmpbook owns the QEMU it launches and must see that process exit", at: element)
        }
        return .launch(command: command, environment: environment)
    }

    /// `libvirt: {uri: URI, domain: NAME}` or `libvirt: {uri: URI, create: {xml: XML-OR-FILE, paused: BOOL}}`.
    func decodeLibvirt(_ node: YAMLNode) -> LibvirtTarget? {
        guard let libvirt = fields(node, of: "libvirt", allowed: Self.libvirtKeys, context: "in libvirt") else { return nil }
        let uriNode = libvirt.required("uri")
        let uri = uriNode.flatMap { string($0, what: "libvirt.uri") }
        if let uriNode, let uri {
            if uri.contains("${") {
                checkTemplates(uriNode)
            } else if uri.isEmpty {
                error("libvirt.uri is empty: write a libvirt URI such as qemu:///system", at: uriNode)
            }
        }
        var domain: LibvirtTarget.Domain?
        switch (libvirt["domain"], libvirt["create"]) {
        case (nil, nil):
            error("libvirt needs 'domain' (a running domain) or 'create' (a transient one for this run)", at: node)
        case (.some, .some):
            error("libvirt has both domain and create; give only one", at: libvirt.keyNode("create") ?? node)
        case (let name?, nil):
            if let text = text(name, what: "libvirt.domain") {
                if text.isEmpty { error("libvirt.domain is empty: name a domain (or give its UUID)", at: name) }
                checkTemplates(name)
                domain = .existing(text)
            }
        case (nil, let create?):
            guard let fields = fields(create, of: "libvirt.create", allowed: Self.libvirtCreateKeys, context: "in libvirt.create"),
                  let xmlNode = fields.required("xml"), let xml = string(xmlNode, what: "libvirt.create.xml") else { break }
            checkTemplates(xmlNode)
            let paused = fields["paused"].flatMap { bool($0, what: "libvirt.create.paused") } ?? false
            domain = .create(xml: xml, paused: paused)
        }
        guard let uri, let domain else { return nil }
        return LibvirtTarget(uri: uri, domain: domain)
    }

    /// What `check` refuses on libvirt targets, at the step's key: `fd:`
    /// over a remote URI (libvirt closes the whole connection on it) and
    /// `execute: qmp_capabilities` (libvirt negotiates QMP itself).
    func checkLibvirtSteps(_ steps: StepTree) {
        for step in steps {
            guard let name = step.target, let target = libvirtTargets[name], case .execute(let execute) = step.action else { continue }
            if execute.command == "qmp_capabilities" {
                diagnostics.append(Diagnostic(
                    "execute: qmp_capabilities is refused on libvirt target '\(name)': libvirt negotiates QMP with QEMU itself",
                    at: step.location(of: "execute")))
            }
            if execute.fd != nil, let uri = target.literalURI, uri.isRemote {
                diagnostics.append(Diagnostic(LibvirtTarget.remoteDescriptorProblem(target: name, uri: uri), at: step.location(of: "fd")))
            }
        }
    }

    func checkTargetExists(_ name: String, at node: YAMLNode) {
        guard !targetNames.contains(name) else { return }
        let hint = NameSuggestion.hint(for: name, among: targetNames)
        error("undefined target '\(name)'\(hint); targets: \(targetNames.joined(separator: ", "))", at: node)
    }
}
