import QMP

extension PlaybookDecoder {
    struct Fields {
        var pairs: [YAMLPair]

        subscript(key: String) -> YAMLNode? {
            position(of: key).map { pairs[$0].value }
        }

        func keyNode(_ key: String) -> YAMLNode? {
            position(of: key).map { pairs[$0].key }
        }

        /// Where `key` is among the pairs; looked at in place, since a
        /// step's fields are asked for a dozen keys it mostly does not have.
        private func position(of key: String) -> Int? {
            for index in pairs.indices {
                if case .scalar(let text, _, _) = pairs[index].key.content, text == key { return index }
            }
            return nil
        }

        var owner: YAMLNode
        unowned let decoder: PlaybookDecoder
        var what: String

        /// The value of `key`, nil when absent or written empty (`vars:` with
        /// everything commented out); for optional collections.
        func unlessNull(_ key: String) -> YAMLNode? {
            guard let node = self[key] else { return nil }
            if node.isPlainScalar, node.jsonValue.isNull { return nil }
            return node
        }

        /// The value of `key`; reports it missing (at the map) when absent.
        func required(_ key: String) -> YAMLNode? {
            guard let node = self[key] else {
                decoder.error("\(what) needs '\(key)'", at: owner)
                return nil
            }
            return node
        }
    }

    /// The members of a map, after reporting unknown keys (when `allowed` is given).
    func fields(_ node: YAMLNode, of what: String, allowed: [String]?, context: String?) -> Fields? {
        guard let pairs = mapping(node, what: what) else { return nil }
        if let allowed, let context {
            for pair in pairs {
                let key = pair.key.scalarText ?? ""
                if !allowed.contains(key) { unknownKey(key, at: pair.key, candidates: allowed, context: context) }
            }
        }
        return Fields(pairs: pairs, owner: node, decoder: self, what: what)
    }

    func unknownKey(_ key: String, at node: YAMLNode, candidates: [String], context: String) {
        let hint = NameSuggestion.hint(for: key, among: candidates)
        error("unknown key '\(key)' \(context)\(hint)", at: node)
    }

    func mapping(_ node: YAMLNode, what: String) -> [YAMLPair]? {
        guard case .mapping(let pairs) = node.content else {
            error("\(what) must be a map, not \(article(describe(node)))", at: node)
            return nil
        }
        return pairs
    }

    func sequence(_ node: YAMLNode, what: String) -> [YAMLNode]? {
        guard case .sequence(let elements) = node.content else {
            error("\(what) must be a list, not \(article(describe(node)))", at: node)
            return nil
        }
        return elements
    }

    /// A scalar that resolves to a string.
    func string(_ node: YAMLNode, what: String) -> String? {
        guard case .scalar(let text, _, _) = node.content, case .string = node.jsonValue else {
            error("\(what) must be a string, not \(article(describe(node)))", at: node)
            return nil
        }
        return text
    }

    /// Any scalar but null, as its text (`name: 42` is the name "42").
    func text(_ node: YAMLNode, what: String) -> String? {
        guard case .scalar(let text, _, _) = node.content, !node.jsonValue.isNull else {
            error("\(what) must be text, not \(article(describe(node)))", at: node)
            return nil
        }
        return text
    }

    func scalarText(_ node: YAMLNode, what: String) -> String? {
        guard case .scalar(let text, _, _) = node.content else {
            error("\(what) must be a scalar, not \(article(describe(node)))", at: node)
            return nil
        }
        return text
    }

    func strings(_ node: YAMLNode, what: String) -> [String] {
        guard let elements = sequence(node, what: what) else { return [] }
        return elements.compactMap { string($0, what: "each of \(what)") }
    }

    func bool(_ node: YAMLNode, what: String) -> Bool? {
        guard case .bool(let value) = node.jsonValue, case .scalar = node.content else {
            error("\(what) must be true or false, not \(article(describe(node)))", at: node)
            return nil
        }
        return value
    }

    /// A step's value written as `${…}`: checked now, resolved by the run
    /// just before the step (``Step/late``); nil when it is written out.
    func late(_ node: YAMLNode, key: String) -> String? {
        guard case .scalar(let text, _, _) = node.content, Template.hasExpressions(text) else { return nil }
        checkTemplates(node)
        lateValues[key] = text
        return text
    }

    /// A duration, or nil when it is `${…}` (left to the run under `key`) or wrong (reported).
    func duration(_ node: YAMLNode, what: String, late key: String) -> Duration? {
        if late(node, key: key) != nil { return nil }
        return duration(node, what: what)
    }

    func duration(_ node: YAMLNode, what: String) -> Duration? {
        if case .scalar(let text, _, _) = node.content {
            let value = node.jsonValue
            if let seconds = value.doubleValue, value.isNumber, let duration = DurationText.seconds(seconds) { return duration }
            if case .string = value, let duration = DurationText.parse(text) { return duration }
            error("\(what): \(DurationText.problem(with: text))", at: node)
            return nil
        }
        error("\(what) must be a duration such as 5s, not \(article(describe(node)))", at: node)
        return nil
    }

    // MARK: - Places and messages

    func record(_ node: YAMLNode, path: String, into locations: inout [String: SourceLocation]) {
        switch node.content {
        case .scalar:
            break
        case .sequence(let elements):
            for (index, element) in elements.enumerated() {
                let inner = "\(path).\(index)"
                locations[inner] = location(element)
                record(element, path: inner, into: &locations)
            }
        case .mapping(let pairs):
            for pair in pairs {
                let inner = "\(path).\(pair.key.scalarText ?? "")"
                locations[inner] = location(pair.key)
                record(pair.value, path: inner, into: &locations)
            }
        }
    }

    func location(_ node: YAMLNode) -> SourceLocation {
        SourceLocation(file: file, line: node.line, column: node.column)
    }

    func error(_ message: String, at node: YAMLNode) {
        diagnostics.append(Diagnostic(message, at: location(node)))
    }

    func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .scalar: return node.jsonValue.typeName
        case .sequence: return "list"
        case .mapping: return "map"
        }
    }

    func article(_ noun: String) -> String {
        noun.withArticle
    }

    /// A program and its arguments (`launch`, `command`): a non-empty list of
    /// scalars, each kept as text that may hold `${…}`, with the nodes for positions.
    func arguments(
        _ node: YAMLNode, what: String, notAList: String, empty: String
    ) -> (arguments: [JSONValue], nodes: [YAMLNode])? {
        guard case .sequence(let elements) = node.content else {
            error(notAList, at: node)
            return nil
        }
        guard !elements.isEmpty else {
            error(empty, at: node)
            return nil
        }
        var arguments: [JSONValue] = []
        for element in elements {
            guard let text = scalarText(element, what: what) else { continue }
            checkTemplates(element)
            arguments.append(.string(text))
        }
        return (arguments, elements)
    }

    /// Additions to a process's environment (`launch.env`, `command.env`): a map of scalars that may hold `${…}`.
    func environment(_ node: YAMLNode, what: String) -> [String: JSONValue] {
        guard let pairs = mapping(node, what: what) else { return [:] }
        var environment: [String: JSONValue] = [:]
        for pair in pairs {
            let name = pair.key.scalarText ?? ""
            if let value = scalarText(pair.value, what: "the value of environment variable '\(name)'") {
                environment[name] = .string(value)
                checkTemplates(pair.value)
            }
        }
        return environment
    }
}
