import FoundationEssentials
import Playbook
import QMP

/// A `wait-event` step: takes the first event of the target's log that has
/// one of the names, matches `match`, arrived after `since`, and was not
/// taken by an earlier wait.
struct WaitEventAction: StepActionRunner, FramedAction {
    var names: [String]
    var match: Pattern?
    /// Only events received after this time (the `since` step's send time).
    var since: Date?
    var target: TargetSession
    /// The step (the log remembers which wait, by index, took an event).
    var frame: StepFrame

    init(_ definition: WaitEventStep, in context: ActionContext) throws(StepPreparationError) {
        target = try context.requireTarget()
        names = []
        for name in definition.events { names.append(try context.name(name, "wait-event")) }
        match = try context.pattern(definition.match, "match")
        since = definition.since.flatMap { context.sendTimes[$0] }
        frame = context.frame
    }

    func run() async -> StepResult {
        let match = self.match
        let query = EventQuery(names: names, since: since) { event in
            match?.matches(.object(event.data)) ?? true
        }
        let wanted = names.joined(separator: " or ")
            + (match.map { redact ? " matching the (redacted) pattern" : " matching \($0.source.jsonText)" } ?? "")
        switch await target.events.wait(for: query, by: frame.index, timeout: budget) {
        case .taken(let event):
            var result = StepResult(.passed)
            result.event = event.jsonValue
            result.registered = event.jsonValue
            return result
        case .timedOut(let others):
            return StepResult(.timeout, message: "no \(wanted) event arrived on \(target.name) within \(describe(budget))"
                + StepText.meanwhile(others, redact: redact))
        case .lost(let reason, let others):
            if let step = target.quitBy {
                // Told to quit: the target is closed, not lost.
                return StepResult(.failed, message: "no \(wanted) event arrived on \(target.name) before it closed"
                    + " (\(step) told its QEMU to quit)" + StepText.meanwhile(others, redact: redact))
            }
            return StepResult(.error, message: "target \(target.name) was lost while waiting for \(wanted): \(reason)")
        case .cancelled:
            return StepResult(.error, message: "the wait for \(wanted) was cancelled")
        }
    }
}
