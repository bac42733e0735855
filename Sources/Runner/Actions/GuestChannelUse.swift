import FoundationEssentials
import Playbook
import QMP

/// What an `agent` or `guest-exec` step needs of its target's agent channel:
/// the link, and the first answer (with the preflight of the playbook's agent
/// commands against `guest-info`) before the first command.
struct GuestChannelUse: Sendable {
    let link: AgentLink
    let target: TargetSession
    let preflight: GuestPreflight?

    init(agentOf target: TargetSession, in context: ActionContext) throws(StepPreparationError) {
        guard let link = target.channels.agent else {
            let why = target.channels.plan.missing["agent"].map { ": \($0)" } ?? ""
            throw StepPreparationError(message: "target \(target.name) has no guest agent channel\(why)")
        }
        self.link = link
        self.target = target
        preflight = context.guestPreflight
    }

    /// Waits by `deadline` until the agent answers (the first time), then checks
    /// the playbook's agent commands once; a result when the step cannot go on.
    func prepare(until deadline: ContinuousClock.Instant, budget: Duration) async -> StepResult? {
        let greeting: Greeting
        do throws(QMPError) {
            greeting = try await link.ready(timeout: max(deadline - ContinuousClock.now, .milliseconds(1))).0
        } catch {
            switch error.code {
            case .timeout:
                return StepResult(.timeout, message: "the guest agent of \(target.name) did not answer within \(describe(budget))"
                    + " (is qemu-ga running in the guest on the \(link.plan.kind) channel?)")
            case .cancelled:
                return StepResult(.error, message: "interrupted while waiting for the guest agent of \(target.name)")
            default:
                link.note(error: error.message)
                return StepResult(.error, message: "the guest agent channel of \(target.name) failed: \(error.message)")
            }
        }
        guard let preflight, link.takePreflight() else { return nil }
        let problems = preflight.problems(on: target.name, supported: greeting.capabilities)
        guard !problems.isEmpty else { return nil }
        return StepResult(.failed, message: "preflight: the guest agent of \(target.name) (qemu-ga \(greeting.version))"
            + " does not support what the playbook uses: " + problems.joined(separator: "; "))
    }
}

/// The playbook's uses of guest agent commands, checked against an agent's
/// `guest-info` once it answers (SPEC.md §9). Off with `--no-preflight`.
struct GuestPreflight: Sendable {
    struct Use: Sendable {
        var target: String
        var command: String
        var location: SourceLocation
    }

    let uses: [Use]

    init(_ playbook: Playbook) {
        var uses: [Use] = []
        for step in playbook.allSteps {
            guard let target = step.target else { continue }
            switch step.action {
            case .agent(let agent):
                uses.append(Use(target: target, command: agent.command, location: step.location(of: "agent")))
            case .guestExec:
                for command in ["guest-exec", "guest-exec-status"] {
                    uses.append(Use(target: target, command: command, location: step.location(of: "guest-exec")))
                }
            default:
                continue
            }
        }
        self.uses = uses
    }

    /// `FILE:LINE:COLUMN: guest-foo is not …` for each use on `target` the agent does not support.
    func problems(on target: String, supported: [String]) -> [String] {
        let known = Set(supported)
        var problems: [String] = []
        for use in uses where use.target == target && !known.contains(use.command) {
            let hint = NameSuggestion.hint(for: use.command, among: supported)
            problems.append("\(use.location): \(use.command) is not a command this agent supports\(hint)")
        }
        return problems
    }
}
