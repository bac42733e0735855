import QMP

extension PlaybookDecoder {
    /// Every id written in these steps, nested ones (in blocks) too.
    func collectStepIDs(_ node: YAMLNode?) {
        guard let node, case .sequence(let elements) = node.content else { return }
        for element in elements {
            guard case .mapping(let pairs) = element.content else { continue }
            for pair in pairs {
                switch pair.key.scalarText {
                case "id": if let id = pair.value.scalarText { allStepIDs.insert(id) }
                case "block", "rescue", "always": collectStepIDs(pair.value)
                default: break
                }
            }
        }
    }

    /// The steps of a list (a block's `block`, `rescue` or `always`, an included file's steps).
    func decodeSteps(_ node: YAMLNode, what: String, phase: Step.Phase) -> [Step] {
        guard let elements = sequence(node, what: what) else { return [] }
        if elements.isEmpty { error("'\(what)' needs at least one step", at: node) }
        return elements.compactMap { decodeStep($0, phase: phase) }
    }

    func decodeStep(_ node: YAMLNode, phase: Step.Phase) -> Step? {
        guard let step = fields(node, of: "a step", allowed: nil, context: nil) else { return nil }
        // Pre-order: a block's index comes before its steps' (Playbook.allSteps).
        let index = nextIndex
        nextIndex += 1
        // The steps inside a block keep their own late values.
        let outerLate = lateValues
        lateValues = [:]
        defer { lateValues = outerLate }
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
        let allowed = entry?.allowedKeys ?? ActionDecoding.allKeySet
        for pair in step.pairs {
            let key = pair.key.scalarText ?? ""
            guard !allowed.contains(key) else { continue }
            if ActionDecoding.allKeys.contains(key), let entry {
                error("'\(key)' does not apply to \((entry.kind.rawValue + " step").withArticle)", at: pair.key)
            } else {
                unknownKey(key, at: pair.key, candidates: ActionDecoding.allKeys, context: "in a step")
            }
        }

        // The first key is where the step is; leaving it out leaves a step such
        // as `- execute: query-status` with no table at all (`location(of:)` falls back).
        let here = location(node)
        var locations: [String: SourceLocation] = [:]
        for pair in step.pairs {
            let key = pair.key.scalarText ?? ""
            let at = location(pair.key)
            if at != here { locations[key] = at }
            record(pair.value, path: key, into: &locations)
        }

        // The loop's names are defined for the step's own values and the steps inside it, and only there.
        let loop = decodeLoop(step)
        let definedBefore = defined
        if let loop {
            for name in [loop.variable, "loop"] where !defined.contains(name) { defined.insert(name) }
        }
        defer {
            if let loop {
                for name in [loop.variable, "loop"] where !definedBefore.contains(name) { defined.remove(name) }
            }
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
        let timeout = step["timeout"].flatMap { duration($0, what: "timeout", late: "timeout") } ?? defaultTimeout
        let ignoreErrors = step["ignore-errors"].flatMap { late($0, key: "ignore-errors") != nil ? nil : bool($0, what: "ignore-errors") }
            ?? defaultIgnoreErrors
        let redact = step["redact"].flatMap { bool($0, what: "redact") } ?? defaultRedact
        let tags = step.unlessNull("tags").map { strings($0, what: "tags") } ?? []
        let explicitName = step["name"].flatMap { text($0, what: "name") }
        let when = step["when"].flatMap { condition($0, what: "when") }

        // A block's or include's target is the default of the steps inside it.
        let outerDefault = defaultTarget
        if entry?.kind.isGroup == true, let explicit = step["target"]?.scalarText { defaultTarget = explicit }
        let stepLate = lateValues
        let action = entry.flatMap { $0.decode(self, step) }
        defaultTarget = outerDefault
        let deferred = stepLate.merging(lateValues) { first, _ in first }
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
        // `sleep: "${pause}"` is named by what it says, resolved when it runs.
        let name = explicitName ?? deferred["sleep"].map { "sleep " + $0 } ?? action.defaultName
        return Step(index: index, id: id, name: name, target: target, timeout: timeout,
                    ignoreErrors: ignoreErrors, when: when, loop: loop, late: deferred, tags: tags, redact: redact, action: action,
                    location: here, phase: phase, locations: locations)
    }

    /// A name a step gives a value (`register: NAME`, the keys of `set`); nil when it cannot be one.
    func registerName(_ node: YAMLNode, what: String = "register") -> String? {
        guard let name = string(node, what: "\(what) name") else { return nil }
        if Variables.builtinNames.contains(name) {
            let advice = what == "register" ? "register under another name" : what == "set" ? "set another name" : "choose another \(what) name"
            error("'\(name)' is a built-in name; \(advice)", at: node)
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
        let interval = step["interval"].flatMap { duration($0, what: "interval", late: "interval") } ?? (until != nil ? defaultInterval : nil)
        if let node = step["interval"], until == nil {
            error("interval only applies with until", at: node)
        }
        if until != nil, hasExpect, let node = step["until"] {
            error("a step takes until or expect, not both", at: node)
        }
        return (until, interval)
    }
}

extension PlaybookDecoder {
    /// `loop:` (a list, `"${…}"` giving a list, or `{range: [a, b]}`) and `loop-var:`.
    func decodeLoop(_ step: Fields) -> StepLoop? {
        if step["loop"] == nil, let node = step["loop-var"] {
            error("loop-var only applies with loop", at: node)
            return nil
        }
        guard let node = step["loop"] else { return nil }
        var variable = "item"
        if let nameNode = step["loop-var"] {
            guard let name = registerName(nameNode, what: "loop-var") else { return nil }
            if name == "loop" {
                error("loop-var cannot be 'loop': ${loop.index} is the iteration's number", at: nameNode)
                return nil
            }
            variable = name
        }
        // The elements are resolved when the loop starts, not with its own names defined.
        switch node.content {
        case .sequence(let elements):
            checkTemplates(node)
            return StepLoop(source: .list(elements.map(\.jsonValue)), variable: variable)
        case .scalar(let text, _, _) where Template.hasExpressions(text):
            checkTemplates(node)
            return StepLoop(source: .expression(text), variable: variable)
        case .mapping(let pairs):
            guard pairs.count == 1, pairs[0].key.scalarText == "range" else {
                error("a loop map takes only range: [FIRST, END] (FIRST, FIRST+1, …, END-1)", at: node)
                return nil
            }
            let bounds = pairs[0].value
            guard case .sequence(let ends) = bounds.content, ends.count == 2 else {
                error("range takes two integers, [FIRST, END]: {range: [0, 4]} gives 0, 1, 2, 3", at: bounds)
                return nil
            }
            var values: [JSONValue] = []
            for end in ends {
                let value = end.jsonValue
                switch value {
                case .int, .uint: values.append(value)
                case .string(let text) where Template.hasExpressions(text):
                    checkTemplates(end)
                    values.append(value)
                default:
                    error("a range bound must be an integer or \"${…}\" giving one, not \(article(describe(end)))", at: end)
                }
            }
            guard values.count == 2 else { return nil }
            return StepLoop(source: .range(values[0], values[1]), variable: variable)
        default:
            error("loop takes a list, \"${…}\" giving a list, or {range: [FIRST, END]}, not \(article(describe(node)))", at: node)
            return nil
        }
    }
}
