import FoundationEssentials
import Playbook
import QMP

/// A step's action, prepared: every `${…}` resolved, ready to run.
///
/// One type per action, one file each in this folder. ``StepAction/prepared(in:)``
/// is the one place that maps the playbook model's actions to them.
protocol PreparedAction: Sendable {
    /// Runs the action within its budget. Failures are results; nothing throws.
    func run() async -> StepResult

    /// How long past the budget the runner waits for ``run()`` before it gives up
    /// on it (an action that stops processes needs room to report how they ended).
    var slack: Duration { get }

    /// Whether ``run()`` is sure to end within the budget, and at once when
    /// its task is cancelled, by itself: then the runner awaits it inline,
    /// without ``race(timeout:_:)``'s two tasks per step. Only an action
    /// whose every wait is the engine's own (a command with its deadline) says so.
    var boundsItself: Bool { get }
}

extension PreparedAction {
    var slack: Duration { .seconds(2) }
    var boundsItself: Bool { false }
}

/// What an action keeps of the step it runs for: how messages name the step,
/// its index in the run, its time budget, and whether its values are redacted.
struct StepFrame: Sendable {
    /// The step's name and line, for ``reference``: only a start, a stop or a quit names its step.
    var name: String
    var line: Int
    var index: Int
    var budget: Duration
    var redact: Bool

    /// `step 'NAME' (line N)`, as ``Playbook/Step/reference`` writes it; made when asked, not per step.
    var reference: String { Step.reference(name: name, line: line) }
}

/// An action that keeps its step's ``StepFrame``, and reads its budget and
/// redaction from it.
protocol FramedAction: PreparedAction {
    var frame: StepFrame { get }
}

extension FramedAction {
    var budget: Duration { frame.budget }
    var redact: Bool { frame.redact }
}

/// An action built from its part of the playbook model and the run's state.
protocol StepActionRunner: PreparedAction {
    /// What the playbook model holds for this action (``ExecuteStep``, ``CommandStep``, …).
    associatedtype Definition

    /// Resolves the definition's templates with the run's variables as they are now.
    /// - Throws: a ``StepPreparationError`` when the step cannot run as written.
    init(_ definition: Definition, in context: ActionContext) throws(StepPreparationError)
}
