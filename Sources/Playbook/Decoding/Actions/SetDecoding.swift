import QMP

extension ActionDecoding {
    /// `set: {NAME: VALUE, …}`: run-wide variables from then on (SPEC.md §8.2).
    static let set = ActionDecoding(kind: .set, keys: []) { decoder, step in
        decoder.decodeSet(step)
    }
}

extension PlaybookDecoder {
    func decodeSet(_ step: Fields) -> StepAction? {
        guard let node = step["set"], let pairs = mapping(node, what: "set") else { return nil }
        if pairs.isEmpty { error("set needs at least one NAME: VALUE", at: node) }
        var assignments: [(name: String, value: JSONValue)] = []
        for pair in pairs {
            // A value sees the names set before it in the same step, and every later step sees them all.
            checkTemplates(pair.value)
            guard let name = registerName(pair.key, what: "set") else { continue }
            assignments.append((name, pair.value.jsonValue))
            define(name)
        }
        return .set(assignments)
    }
}
