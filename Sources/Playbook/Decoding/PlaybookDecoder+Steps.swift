import QMP

extension PlaybookDecoder {
    func collectStepIDs(_ node: YAMLNode?) {
        guard let node, case .sequence(let elements) = node.content else { return }
        for element in elements {
            guard case .mapping(let pairs) = element.content else { continue }
            for pair in pairs where pair.key.scalarText == "id" {
                if let id = pair.value.scalarText { allStepIDs.insert(id) }
            }
        }
    }

    func decodeStep(_ node: YAMLNode, index: Int, phase: Step.Phase) -> Step? {
        guard let step = fields(node, of: "a step", allowed: nil, context: nil) else { return nil }
        let actions = step.pairs.filter { ActionDecoding.entry(for: $0.key.scalarText ?? "") != nil }
        var entry: ActionDecoding?
        if actions.isEmpty {
            error("a step needs one action: \(ActionDecoding.actionList)", at: node)
        } else {
            entry = ActionDecoding.entry(for: actions[0].key.scalarText ?? "")
            for extra in actions.dropFirst() {
                error("a step has exactly one action, but this one has \(actions[0].key.scalarText ?? "") and \(extra.key.scalarText ?? "")", at: extra.key)
            }
        }
        let allowed = entry?.allowedKeys ?? ActionDecoding.allKeys
        for pair in step.pairs {
            let key = pair.key.scalarText ?? ""
            guard !allowed.contains(key) else { continue }
            if ActionDecoding.allKeys.contains(key), let entry {
                error("'\(key)' does not apply to \((entry.kind.rawValue + " step").withArticle)", at: pair.key)
            } else {
                unknownKey(key, at: pair.key, candidates: ActionDecoding.allKeys, context: "in a step")
            }
        }

        var locations: [String: SourceLocation] = [:]
        for pair in step.pairs {
            let key = pair.key.scalarText ?? ""
            locations[key] = location(pair.key)
            record(pair.value, path: key, into: &locations)
        }

        let id = step["id"].flatMap { text($0, what: "id") }
        if let id, let idNode = step["id"] {
            if let first = stepIDs[id] {
                error("duplicate step id '\(id)' (first used at line \(first.line))", at: idNode)
            } else {
                stepIDs[id] = location(idNode)
            }
        }
        var target: String?
        if let node = step["target"], let name = string(node, what: "target") {
            // `target: "${side}"` names its target when the step runs (SPEC.md §8.1).
            if Template.hasExpressions(name) { checkTemplates(node) } else { checkTargetExists(name, at: node) }
            target = name
        }
        if entry?.kind.takesTarget == false {
            target = nil
        } else {
            target = target ?? defaultTarget ?? (targetNames.count == 1 ? targetNames[0] : nil)
        }
        let timeout = step["timeout"].flatMap { duration($0, what: "timeout") } ?? defaultTimeout
        let ignoreErrors = step["ignore-errors"].flatMap { bool($0, what: "ignore-errors") } ?? defaultIgnoreErrors
        let redact = step["redact"].flatMap { bool($0, what: "redact") } ?? defaultRedact
        let tags = step.unlessNull("tags").map { strings($0, what: "tags") } ?? []
        let explicitName = step["name"].flatMap { text($0, what: "name") }
        let when = step["when"].flatMap { condition($0, what: "when") }

        let action = entry.flatMap { $0.decode(self, step) }
        // `start: TARGET` and `stop: TARGET` name their target as their value.
        if let addressed = action?.addressedTarget { target = addressed }
        if let entry, entry.kind.needsTarget, target == nil, !targetNames.isEmpty {
            error("this step needs 'target': the playbook has \(targetNames.count) targets and no defaults.target", at: node)
        }
        if let interval = action?.pollInterval, let timeout, interval > timeout, let at = step["interval"] ?? step["until"] {
            error("interval \(DurationText.format(interval)) is longer than the step's timeout of \(DurationText.format(timeout)),"
                  + " so until could try only once; shorten interval or raise timeout", at: at)
        }
        // A register is defined for the steps after this one, not for this one's own values.
        if let name = action?.register { define(name) }

        guard let action else { return nil }
        return Step(index: index, id: id, name: explicitName ?? action.defaultName, target: target, timeout: timeout,
                    ignoreErrors: ignoreErrors, when: when, tags: tags, redact: redact, action: action,
                    location: location(node), phase: phase, locations: locations)
    }

    /// A name a step gives a value (`register: NAME`, the keys of `set`); nil when it cannot be one.
    func registerName(_ node: YAMLNode, what: String = "register") -> String? {
        guard let name = string(node, what: "\(what) name") else { return nil }
        if Variables.builtinNames.contains(name) {
            error("'\(name)' is a built-in name; \(what == "register" ? "register under" : "set") another name", at: node)
            return nil
        } else if name.isEmpty || !name.utf8.allSatisfy(Template.isNameByte) {
            error("\(what) name '\(name)' cannot be used in ${…}: use letters, digits, '_' and '-'", at: node)
            return nil
        }
        return name
    }

    /// `until` (a pattern to poll for) and `interval` (between polls; the
    /// default's when only `until` is given), shared by the actions that poll.
    func polling(_ step: Fields, hasExpect: Bool) -> (until: JSONValue?, interval: Duration?) {
        let until = step["until"].map { checkedPattern($0, path: "until") }
        let interval = step["interval"].flatMap { duration($0, what: "interval") } ?? (until != nil ? defaultInterval : nil)
        if let node = step["interval"], until == nil {
            error("interval only applies with until", at: node)
        }
        if until != nil, hasExpect, let node = step["until"] {
            error("a step takes until or expect, not both", at: node)
        }
        return (until, interval)
    }
}
