/// The kind of a step: its action key, as playbooks write it and the report names it.
///
/// The playbook model (``StepAction/kind``), the decoder's table of actions
/// and the report share this one enum.
public enum StepKind: String, Sendable, CaseIterable {
    case execute
    case waitEvent = "wait-event"
    case sleep, hmp, log, command
    case set, assert, fail
    /// `start: TARGET` and `stop: TARGET` (SPEC.md §7.2): the target is the action's value.
    case start, stop
    case agent
    case guestExec = "guest-exec"
    case waitConsole = "wait-console"
    case sendConsole = "send-console"
    /// `block:` (with `rescue` and `always`) and `include:` (SPEC.md §8.3): steps that hold steps.
    case block, include

    /// Whether a step of this kind talks to a target (and so needs one).
    public var needsTarget: Bool {
        switch self {
        case .execute, .waitEvent, .hmp, .agent, .guestExec, .waitConsole, .sendConsole: return true
        case .sleep, .log, .command, .set, .assert, .fail, .start, .stop, .block, .include: return false
        }
    }

    /// Whether a step of this kind may name a `target` at all (a `command`
    /// runs on the host; `set`, `assert` and `fail` only compute; `start` and
    /// `stop` name theirs as their value).
    public var takesTarget: Bool {
        switch self {
        case .command, .set, .assert, .fail, .start, .stop: return false
        // A block's or an include's `target` is the default of the steps inside.
        case .execute, .waitEvent, .sleep, .hmp, .log, .agent, .guestExec, .waitConsole, .sendConsole, .block, .include: return true
        }
    }

    /// The channel of its target a step of this kind uses besides QMP (SPEC.md §9): `console`, `agent`, or nil.
    public var channel: String? {
        switch self {
        case .agent, .guestExec: return "agent"
        case .waitConsole, .sendConsole: return "console"
        default: return nil
        }
    }
}

extension StepKind {
    /// Whether a step of this kind holds other steps (a block or an include) rather than acting itself.
    public var isGroup: Bool { self == .block || self == .include }
}
