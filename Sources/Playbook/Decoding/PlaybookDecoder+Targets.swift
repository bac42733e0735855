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
        let present = ["connect", "listen", "launch"].filter { target[$0] != nil }
        var mode: TargetSpec.Mode?
        if present.isEmpty {
            error("target '\(name)' needs one of connect, listen or launch", at: node)
        } else if present.count > 1 {
            error("target '\(name)' has both \(present[0]) and \(present[1]); give only one", at: target.keyNode(present[1]) ?? node)
        } else if let address = target["connect"] {
            mode = self.address(address, what: "connect").map(TargetSpec.Mode.connect)
        } else if let address = target["listen"] {
            mode = self.address(address, what: "listen").map(TargetSpec.Mode.listen)
        } else if let launch = target["launch"] {
            mode = decodeLaunch(launch)
        }
        var capabilities: [String] = []
        if let node = target.unlessNull("capabilities") { capabilities = strings(node, what: "capabilities") }
        let timeout = target["timeout"].flatMap { duration($0, what: "timeout") }
        guard let mode else { return nil }
        var spec = TargetSpec(name: name, mode: mode, capabilities: capabilities, timeout: timeout, location: location(key))
        decodeChannels(target, into: &spec)
        return spec
    }

    func address(_ node: YAMLNode, what: String) -> String? {
        guard let text = string(node, what: what) else { return nil }
        if text.contains("${") {
            checkTemplates(node)
        } else {
            do {
                _ = try MonitorAddress(parsing: text)
            } catch {
                self.error("\(what): \(error.description)", at: node)
                return nil
            }
        }
        return text
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

    func checkTargetExists(_ name: String, at node: YAMLNode) {
        guard !targetNames.contains(name) else { return }
        let hint = NameSuggestion.hint(for: name, among: targetNames)
        error("undefined target '\(name)'\(hint); targets: \(targetNames.joined(separator: ", "))", at: node)
    }
}
