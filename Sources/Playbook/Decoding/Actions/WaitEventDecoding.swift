import QMP

extension ActionDecoding {
    /// `wait-event: NAME | [NAMES]` with `match`, `since`, `register`.
    static let waitEvent = ActionDecoding(kind: .waitEvent, keys: ["match", "since", "register"]) {
        decoder, step in decoder.decodeWaitEvent(step).map(StepAction.waitEvent)
    }
}

extension PlaybookDecoder {
    func decodeWaitEvent(_ step: Fields) -> WaitEventStep? {
        guard let node = step["wait-event"] else { return nil }
        var events: [String] = []
        if case .sequence(let elements) = node.content {
            if elements.isEmpty { error("wait-event needs at least one event name", at: node) }
            events = elements.compactMap { string($0, what: "an event name") }
        } else if let name = string(node, what: "wait-event") {
            events = [name]
        }
        // Names may be `${…}`, resolved just before the step (SPEC.md §8.1).
        checkTemplates(node)
        let match = step["match"].map { checkedPattern($0, path: "match") }
        let since = step["since"].flatMap { sinceStep($0) }
        let register = step["register"].flatMap { registerName($0) }
        return WaitEventStep(events: events, match: match, since: since, register: register)
    }

}
