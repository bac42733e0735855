import QMP

extension ActionDecoding {
    /// `block: [STEPS]` with `rescue: [STEPS]` and `always: [STEPS]` (SPEC.md §8.3).
    static let block = ActionDecoding(kind: .block, keys: ["rescue", "always"]) { decoder, step in
        decoder.decodeBlock(step)
    }
}

extension PlaybookDecoder {
    func decodeBlock(_ step: Fields) -> StepAction? {
        guard let node = step["block"] else { return nil }
        let steps = decodeSteps(node, what: "block", phase: .main)
        let rescue = step.unlessNull("rescue").map { decodeSteps($0, what: "rescue", phase: .main) } ?? []
        let always = step.unlessNull("always").map { decodeSteps($0, what: "always", phase: .main) } ?? []
        return .block(BlockStep(steps: steps, rescue: rescue, always: always))
    }
}
