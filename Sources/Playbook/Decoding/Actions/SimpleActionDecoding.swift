import QMP

// The actions that are one value: `sleep: DURATION`, `hmp: LINE`, `log: TEXT`.

extension ActionDecoding {
    static let sleep = ActionDecoding(kind: .sleep, keys: []) { decoder, step in
        guard let node = step["sleep"] else { return nil }
        // `sleep: "${pause}"`: 0 until the run resolves it.
        if decoder.late(node, key: "sleep") != nil { return .sleep(.zero) }
        return decoder.duration(node, what: "sleep").map(StepAction.sleep)
    }

    static let hmp = ActionDecoding(kind: .hmp, keys: []) { decoder, step in
        guard let node = step["hmp"], let text = decoder.string(node, what: "hmp") else { return nil }
        decoder.checkTemplates(node)
        return .hmp(.string(text))
    }

    static let log = ActionDecoding(kind: .log, keys: []) { decoder, step in
        guard let node = step["log"], let text = decoder.scalarText(node, what: "log") else { return nil }
        decoder.checkTemplates(node)
        return .log(.string(text))
    }
}
