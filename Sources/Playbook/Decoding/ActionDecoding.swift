import QMP

/// One entry of the decoder's table of step actions: the action's key, the
/// keys a step of that action may hold beside ``commonKeys``, and the function
/// that decodes it. Adding an action means adding its entry to ``all`` (in a
/// file of its own under `Decoding/Actions/`); the step decoder, the list of
/// known keys and the messages follow from the table.
struct ActionDecoding: Sendable {
    let kind: StepKind
    /// The keys of this action besides the action key and ``commonKeys``.
    let keys: [String]
    /// Builds the action from the step's fields, reporting problems on the decoder; nil when it cannot.
    let decode: @Sendable (PlaybookDecoder, PlaybookDecoder.Fields) -> StepAction?

    /// The keys every step may hold (`target` only where ``StepKind/takesTarget``).
    static let commonKeys = ["name", "id", "target", "timeout", "ignore-errors", "tags", "redact", "when", "loop", "loop-var"]

    /// The common keys a block or an include takes (no timeout or redact of its own).
    static let groupKeys = ["name", "id", "target", "ignore-errors", "tags", "when", "loop", "loop-var"]

    /// Every action, in the order messages list them.
    static let all: [ActionDecoding] = [.execute, .waitEvent, .sleep, .hmp, .log, .command, .set, .assert, .fail, .start, .stop,
                                        .agent, .guestExec, .waitConsole, .sendConsole, .block, .include]

    /// The action keys (`execute`, `wait-event`, …).
    static let actionKeys = all.map(\.kind.rawValue)

    /// Every key any step may hold, for "did you mean" on an unknown key.
    static let allKeys: [String] = {
        var keys = commonKeys + actionKeys
        for entry in all { keys += entry.keys.filter { !keys.contains($0) } }
        return keys
    }()

    /// The entry of action key `key`.
    static func entry(for key: String) -> ActionDecoding? {
        all.first { $0.kind.rawValue == key }
    }

    /// The keys a step of this action may hold (worked out once per action, not per step).
    var allowedKeys: Set<String> { Self.allowedKeys[kind] ?? [] }

    private static let allowedKeys: [StepKind: Set<String>] = Dictionary(uniqueKeysWithValues: all.map { entry in
        let common = entry.kind.isGroup ? groupKeys : commonKeys.filter { entry.kind.takesTarget || $0 != "target" }
        return (entry.kind, Set(common + actionKeys + entry.keys))
    })

    /// ``allKeys`` as a set, for the step decoder's check.
    static let allKeySet = Set(allKeys)

    /// `execute, wait-event, sleep, hmp, log, command, start or stop`.
    static var actionList: String {
        actionKeys.dropLast().joined(separator: ", ") + " or " + (actionKeys.last ?? "")
    }
}
