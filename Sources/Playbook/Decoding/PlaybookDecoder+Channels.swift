import QMP

// The channels of a target besides QMP (SPEC.md §9): `console:` and `agent:`,
// and the check that every step using one runs on a target that has it.

extension PlaybookDecoder {
    func decodeChannels(_ target: Fields, into spec: inout TargetSpec) {
        if spec.kind == .libvirt {
            for key in ["console", "agent"] {
                guard let node = target.keyNode(key) else { continue }
                error("\(key): a libvirt target takes no \(key) channel: libvirt owns the domain's chardevs (reach them with a connect target and \(key): unix:PATH)", at: node)
            }
            return
        }
        let launched = spec.kind == .launch
        if let node = target.unlessNull("console") {
            if case .bool(let on) = node.jsonValue, case .scalar = node.content {
                if on && !launched {
                    error("console: true adds a serial port to a QEMU qmpbook launches; for a \(spec.kind.rawValue) target give the console's socket: console: unix:PATH", at: node)
                } else if on {
                    spec.console = .launched
                }
            } else if let text = string(node, what: "console"), let address = channelAddress(text, at: node, what: "console", wired: "true") {
                spec.console = .socket(address)
            }
        }
        if let node = target.unlessNull("agent"), let text = string(node, what: "agent") {
            switch text {
            case "isa-serial", "virtio-serial":
                if launched {
                    spec.agent = text == "isa-serial" ? .isaSerial : .virtioSerial
                } else {
                    error("agent: \(text) wires a channel into a QEMU qmpbook launches; for a \(spec.kind.rawValue) target give the agent's socket: agent: unix:PATH", at: node)
                }
            default:
                if let address = channelAddress(text, at: node, what: "agent", wired: "isa-serial, virtio-serial") {
                    spec.agent = .socket(address)
                }
            }
        }
    }

    /// A channel's socket address (`unix:PATH`, `tcp:HOST:PORT`, or a path with a `/`), used as written.
    private func channelAddress(_ text: String, at node: YAMLNode, what: String, wired: String) -> String? {
        if text.contains("${") {
            error("\(what): a channel's socket is used as written; ${…} is not supported here", at: node)
            return nil
        }
        guard text.hasPrefix("unix:") || text.hasPrefix("tcp:") || text.contains("/") else {
            let hint = what == "agent" ? NameSuggestion.hint(for: text, among: AgentChannel.wiredNames) : ""
            error("\(what) must be \(wired) or a socket (unix:PATH or tcp:HOST:PORT), not '\(text)'\(hint)", at: node)
            return nil
        }
        return isMonitorAddress(text, what: what, at: node) ? text : nil
    }

    /// A step that uses a console or an agent needs a target with that channel.
    func checkChannels(of targets: [TargetSpec], usedBy steps: StepTree) {
        for step in steps {
            guard let channel = step.kind.channel, let name = step.target,
                  let target = targets.first(where: { $0.name == name }) else { continue }
            let has = channel == "console" ? target.console != nil : target.agent != nil
            guard !has else { continue }
            let how = channel == "console"
                ? (target.kind == .launch ? "console: true" : "console: unix:PATH")
                : (target.kind == .launch ? "agent: isa-serial (or virtio-serial)" : "agent: unix:PATH")
            diagnostics.append(Diagnostic(
                "\(step.kind.rawValue) needs the \(channel) of target '\(name)', which has none; add \(how) to the target",
                at: step.location(of: step.kind.rawValue)))
        }
    }
}
