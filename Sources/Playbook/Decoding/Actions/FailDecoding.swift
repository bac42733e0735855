import QMP

extension ActionDecoding {
    /// `fail: TEXT`: a step that always fails with TEXT (with `when`, a guard) (SPEC.md §8.2).
    static let fail = ActionDecoding(kind: .fail, keys: []) { decoder, step in
        guard let node = step["fail"], let text = decoder.scalarText(node, what: "fail") else { return nil }
        decoder.checkTemplates(node)
        return .fail(.string(text))
    }
}
