import FoundationEssentials
import Playbook
import QMP

/// A `stop: TARGET` step (SPEC.md §7.2): ends the target's open instance
/// with `how: quit` (the end-of-run sequence), `kill` (SIGKILL at once) or
/// `wait` (for QEMU to exit on its own, up to the step's timeout). A
/// `connect`/`listen` target's connection is closed and its QEMU left
/// running (`how: quit` sends it `quit` first). QEMU exiting here is the
/// point, never a lost target.
struct StopAction: StepActionRunner, FramedAction {
    var name: String
    var how: StopStep.Method
    var expect: Pattern?
    var registry: TargetRegistry
    var frame: StepFrame

    /// `how: quit` may take the whole end-of-run sequence: two grace periods, then SIGKILL.
    var slack: Duration { registry.grace * 2 + .seconds(6) }

    init(_ definition: StopStep, in context: ActionContext) throws(StepPreparationError) {
        registry = try context.requireRegistry()
        name = try context.text(.string(definition.target), "target")
        how = definition.how
        expect = try context.pattern(definition.expect?.pattern, "expect")
        frame = context.frame
    }

    func run() async -> StepResult {
        var result = StepResult(.passed)
        result.request = ["stop": .string(name), "how": .string(how.rawValue)]
        result.sentAt = Date()
        switch await registry.stop(name, how: how, step: frame.reference, budget: budget) {
        case .notOpen(let why):
            result.status = .failed
            result.message = RunSession.notStarted(name, why)
        case .stillRunning:
            result.status = .timeout
            result.message = "target \(name)'s QEMU did not exit on its own within \(describe(budget))"
        case .stopped(let instance):
            let value = ProcessOutcome.value(exit: instance.exit, stderr: instance.stderrTail)
            result.response = value
            if let expect, let mismatch = expect.mismatch(in: value) {
                result.status = .failed
                let ended = instance.exit.map { "QEMU \($0)" } ?? "target \(name) had no QEMU process of its own"
                result.message = redact ? "\(ended), which does not match expect"
                    : "\(ended), which does not match expect: \(mismatch)" + ProcessOutcome.detail(instance.stderrTail)
            }
        }
        return result
    }
}
