import FoundationEssentials
import Playbook
import QMP

/// What an action sees while it is prepared: its step, its target, its time
/// budget, and the run's variables and send times as they are at that moment.
struct ActionContext: Sendable {
    var step: Step
    /// The open target of the step, or nil when it has none.
    var target: TargetSession?
    /// The step's timeout, cut short by the playbook's deadline or the always steps' budget.
    var budget: Duration
    var variables: Variables
    /// The playbook's folder: relative paths in steps are relative to it.
    var playbookDirectory: String
    /// When each step with an id sent its command (for `since`).
    var sendTimes: [String: Date]
    /// Sees the requests and replies as they go (`--verbose`, live outputs).
    var observer: any RunObserver
    /// The run's targets, for the actions that start and stop them.
    var registry: TargetRegistry?
    /// The playbook's guest agent commands, checked once an agent answers; nil with `--no-preflight`.
    var guestPreflight: GuestPreflight? = nil
    /// The index of the step's entry in the report (a step in a loop has one per iteration); nil: ``Step/index``.
    var entry: Int? = nil

    /// What the action keeps of its step.
    var frame: StepFrame {
        StepFrame(name: step.name, line: step.location.line, index: entry ?? step.index, budget: budget, redact: step.redact)
    }

    /// The run's targets, for an action that starts or stops one.
    func requireRegistry() throws(StepPreparationError) -> TargetRegistry {
        guard let registry else { throw StepPreparationError(message: "the step needs the run's targets") }
        return registry
    }

    /// The step's target; a step that needs one has one once its target is open.
    func requireTarget() throws(StepPreparationError) -> TargetSession {
        guard let target else { throw StepPreparationError(message: "the step has no target") }
        return target
    }

    /// `value` with its `${…}` resolved; `what` names it in the message.
    func resolve(_ value: JSONValue, _ what: String) throws(StepPreparationError) -> JSONValue {
        do {
            return try Template.resolve(value, with: variables)
        } catch {
            throw StepPreparationError(message: "\(what): \(error.message)")
        }
    }

    /// A pattern (as written) resolved and compiled; nil stays nil.
    func pattern(_ value: JSONValue?, _ what: String) throws(StepPreparationError) -> Pattern? {
        guard let value else { return nil }
        let resolved = try resolve(value, what)
        do {
            return try Pattern(resolved)
        } catch {
            throw StepPreparationError(message: "\(what): \(error.message)")
        }
    }

    /// A resolved value as text (numbers and booleans as JSON).
    func text(_ value: JSONValue, _ what: String) throws(StepPreparationError) -> String {
        let resolved = try resolve(value, what)
        return resolved.stringValue ?? resolved.jsonText
    }

    /// A name as written (a QMP command, an event), or the text its `${…}` gives now.
    /// - Throws: when the expression fails or gives no non-empty text.
    func name(_ written: String, _ what: String) throws(StepPreparationError) -> String {
        guard Template.hasExpressions(written) else { return written }
        let value = try resolve(.string(written), what)
        guard case .string(let name) = value, !name.isEmpty else {
            throw StepPreparationError(message: "\(what) \(written) gave \(value.typeName.withArticle) (\(StepText.shorten(value.jsonText, to: 60))), not a name")
        }
        return name
    }

    /// A path from the playbook, made absolute against the playbook's folder.
    func path(_ written: String) -> String {
        written.hasPrefix("/") ? written : playbookDirectory + "/" + written
    }
}
