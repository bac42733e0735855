import QMP

// `start: TARGET` and `stop: TARGET` (SPEC.md §7.2).

extension ActionDecoding {
    /// `start: TARGET` with an optional `expect: {exit, signal, stderr}` (QEMU must fail to start that way).
    static let start = ActionDecoding(kind: .start, keys: ["expect"]) { decoder, step in
        guard let target = decoder.lifecycleTarget(step, key: "start") else { return nil }
        let expect = decoder.processExpectation(step)
        return .start(StartStep(target: target, expect: expect))
    }

    /// `stop: TARGET` with `how: quit|kill|wait` and an optional `expect: {exit, signal, stderr}`.
    static let stop = ActionDecoding(kind: .stop, keys: ["how", "expect"]) { decoder, step in
        guard let target = decoder.lifecycleTarget(step, key: "stop") else { return nil }
        var how = StopStep.Method.quit
        if let node = step["how"], let text = decoder.string(node, what: "how") {
            if let method = StopStep.Method(rawValue: text) {
                how = method
            } else {
                let names = StopStep.Method.allCases.map(\.rawValue)
                let hint = NameSuggestion.hint(for: text, among: names)
                decoder.error("how must be quit, kill or wait, not '\(text)'\(hint)", at: node)
            }
        }
        let expect = decoder.processExpectation(step)
        return .stop(StopStep(target: target, how: how, expect: expect))
    }
}

extension PlaybookDecoder {
    static let processExpectKeys = ["exit", "signal", "stderr"]

    /// The target a `start`/`stop` step names, checked against the playbook's targets.
    func lifecycleTarget(_ step: Fields, key: String) -> String? {
        guard let node = step[key], let name = string(node, what: key) else { return nil }
        checkTargetExists(name, at: node)
        return name
    }

    /// `expect: {exit, signal, stderr}` of a `start` or `stop` step.
    func processExpectation(_ step: Fields) -> ProcessExpectation? {
        guard let node = step["expect"],
              let fields = fields(node, of: "expect", allowed: Self.processExpectKeys, context: "in a start or stop step's expect")
        else { return nil }
        if fields.pairs.isEmpty { error("expect needs one of exit, signal, stderr", at: node) }
        return ProcessExpectation(
            exit: fields["exit"].map { checkedPattern($0, path: "expect.exit") },
            signal: fields["signal"].map { checkedPattern($0, path: "expect.signal") },
            stderr: fields["stderr"].map { checkedPattern($0, path: "expect.stderr") })
    }
}
