import QMP

extension ActionDecoding {
    /// `assert: "${CONDITION}"` with an optional `message` (SPEC.md §8.2).
    static let assert = ActionDecoding(kind: .assert, keys: ["message"]) { decoder, step in
        decoder.decodeAssert(step)
    }
}

extension PlaybookDecoder {
    func decodeAssert(_ step: Fields) -> StepAction? {
        guard let node = step["assert"], let condition = condition(node, what: "assert") else { return nil }
        var message: JSONValue?
        if let node = step["message"], let text = scalarText(node, what: "message") {
            checkTemplates(node)
            message = .string(text)
        }
        return .assert(condition: condition, message: message)
    }

    /// `true`, `false`, or a text holding `${…}` that must give one (`assert`, `when`).
    func condition(_ node: YAMLNode, what: String) -> JSONValue? {
        let value = node.jsonValue
        if case .bool = value, case .scalar = node.content { return value }
        if case .string(let text) = value, Template.hasExpressions(text) {
            checkTemplates(node)
            return value
        }
        error("\(what) must be true, false or a \"${…}\" expression that gives one, not \(describe(node) == "string" ? "the text '\(node.scalarText ?? "")'" : article(describe(node)))", at: node)
        return nil
    }
}
