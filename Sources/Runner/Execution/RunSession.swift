import Foundation
import Playbook
import QMP

/// The steps of one run and everything they share: the targets (``TargetRegistry``), the
/// variables (with registered values), when each step sent its command, and
/// the report entry of every step. One task drives it at a time; signals
/// cancel that task.
actor RunSession {
    let playbook: Playbook
    let options: RunOptions
    /// The targets by name, as `start` and `stop` steps change them.
    let registry: TargetRegistry
    let observer: any RunObserver
    private(set) var variables: Variables
    private(set) var steps: [StepReport]
    private var sendTimes: [String: Date] = [:]
    /// The playbook's guest agent commands, for the agent preflight (nil with `--no-preflight`).
    private lazy var guestPreflight: GuestPreflight? = options.preflight ? GuestPreflight(playbook) : nil

    init(
        playbook: Playbook, options: RunOptions, registry: TargetRegistry, variables: Variables,
        observer: any RunObserver
    ) {
        self.playbook = playbook
        self.options = options
        self.registry = registry
        self.variables = variables
        self.observer = observer
        self.steps = playbook.allSteps.map(RunSession.pending)
    }

    /// The report entry of a step that has not run (yet): `skipped`.
    static func pending(_ step: Step) -> StepReport {
        var report = StepReport(
            index: step.index, id: step.id, name: step.name, target: step.target,
            action: step.kind,
            phase: step.phase == .always ? .always : .main, status: .skipped, tags: step.tags)
        report.file = step.location.file
        report.line = step.location.line
        return report
    }

    /// Marks a step as not run, with the reason.
    func skip(_ step: Step, because reason: String) {
        steps[step.index].message = reason
    }

    /// Why `step` is left out by `--tag`, `--skip-tag` or `--start-at`, or nil when it runs.
    static func exclusion(of step: Step, options: RunOptions, startIndex: Int?) -> String? {
        if let startIndex, step.index < startIndex {
            return "not run: before --start-at \(options.startAt ?? "")"
        }
        if !options.tags.isEmpty, !step.tags.contains(where: options.tags.contains) {
            return "not run: no tag selected by --tag"
        }
        if let tag = step.tags.first(where: options.skipTags.contains) {
            return "not run: --skip-tag \(tag)"
        }
        return nil
    }

    /// Runs the main steps in order until one fails, the deadline passes, or the task is cancelled.
    func runMain(deadline: ContinuousClock.Instant?, deadlineText: String) async -> PhaseEnd {
        var end = PhaseEnd()
        let startIndex = options.startAt.flatMap { id in playbook.steps.first { $0.id == id }?.index }
        for step in playbook.steps {
            if Task.isCancelled {
                skip(step, because: "not run: the run was interrupted")
                continue
            }
            if end.failure != nil {
                skip(step, because: end.deadlinePassed
                     ? "not run: the playbook's deadline of \(deadlineText) passed"
                     : "not run: an earlier step failed")
                continue
            }
            if let reason = Self.exclusion(of: step, options: options, startIndex: startIndex) {
                skip(step, because: reason)
                continue
            }
            var limit: Limit?
            if let deadline {
                if deadline <= ContinuousClock.now {
                    end.deadlinePassed = true
                    let message = "the playbook's deadline of \(deadlineText) passed before this step"
                    end.failure = .init(step: step, status: .timeout, message: message)
                    finish(step, StepResult(.timeout, message: message), started: Date(), duration: .zero)
                    continue
                }
                limit = Limit(end: deadline, name: "the playbook's deadline of \(deadlineText)")
            }
            let (report, cut) = await run(step, within: limit)
            if Task.isCancelled, report.status != .passed {
                continue
            }
            if !report.status.isSuccess {
                if cut, report.status == .timeout { end.deadlinePassed = true }
                end.failure = .init(step: step, status: report.status, message: report.message ?? report.status.rawValue)
            }
        }
        return end
    }

    /// Runs the `always` steps, each bounded by its own timeout and all by `budget`.
    func runAlways(budget: Duration) async -> PhaseEnd {
        var end = PhaseEnd()
        let deadline = ContinuousClock.now + budget
        let limit = Limit(end: deadline, name: "the always steps' time limit of \(describe(budget))")
        for step in playbook.always {
            if Task.isCancelled || ContinuousClock.now >= deadline {
                skip(step, because: Task.isCancelled
                     ? "not run: interrupted a second time" : "not run: the always steps ran out of time")
                continue
            }
            let (report, _) = await run(step, within: limit)
            if !report.status.isSuccess, end.failure == nil, !Task.isCancelled {
                end.failure = .init(step: step, status: report.status, message: report.message ?? report.status.rawValue)
            }
        }
        return end
    }

    /// A time that cuts steps short (the playbook deadline, the always steps' budget), and its name for messages.
    struct Limit {
        var end: ContinuousClock.Instant
        var name: String
    }

    /// Runs one step, its timeout cut short by `limit`; records and shows its report.
    /// - Returns: the report, and whether `limit` (not the step's own timeout) bounded it.
    private func run(_ step: Step, within limit: Limit?) async -> (StepReport, cut: Bool) {
        let started = Date()
        let clockStart = ContinuousClock.now
        observer.stepStarted(step)
        if let id = step.id { sendTimes[id] = started }

        // A sleep is as long as it says: only the playbook deadline (or the
        // always steps' budget) cuts it short, never its own or the default timeout.
        var budget = if case .sleep(let duration) = step.action { duration } else { step.timeout ?? options.defaultStepTimeout }
        var cutBy: String?
        if let limit {
            let remaining = max(limit.end - clockStart, .milliseconds(1))
            if remaining < budget {
                budget = remaining
                cutBy = limit.name
            }
        }
        var result = await perform(step, budget: budget, cutBy: cutBy)
        if Task.isCancelled, result.status != .passed {
            result.status = .error
            result.message = "interrupted"
        } else if !result.status.isSuccess, step.ignoreErrors {
            result.status = .ignored
        }
        if let id = step.id, let sent = result.sentAt { sendTimes[id] = sent }
        if let value = result.registered, let name = step.action.register {
            variables.register(name, value: value)
        }
        for (name, value) in result.assignments { variables.register(name, value: value) }
        let report = finish(step, result, started: started, duration: ContinuousClock.now - clockStart)
        return (report, cutBy != nil)
    }

    @discardableResult
    private func finish(_ step: Step, _ result: StepResult, started: Date, duration: Duration) -> StepReport {
        var report = steps[step.index]
        report.status = result.status
        // A step that turned out not to run has no start or duration.
        report.started = result.status == .skipped ? nil : started
        report.duration = result.status == .skipped ? nil : duration
        report.attempts = result.attempts
        report.request = result.request
        report.response = result.response
        report.event = result.event
        report.message = result.message
        if step.redact { report = report.redacted }
        steps[step.index] = report
        observer.stepFinished(report)
        return report
    }

    /// Resolves the step's templates and runs its action within `budget`.
    private func perform(_ step: Step, budget: Duration, cutBy limitName: String?) async -> StepResult {
        if let when = step.when {
            let written = when.stringValue ?? when.jsonText
            switch Result(catching: { () throws(TemplateError) in try Template.resolve(when, with: variables) }) {
            case .success(.bool(true)): break
            case .success(.bool(false)): return StepResult(.skipped, message: "not run: when \(written) is false")
            case .success(let other):
                return StepResult(.failed, message: "when \(written) gave \(other.typeName.withArticle) (\(StepText.shorten(other.jsonText, to: 60))), not true or false")
            case .failure(let error):
                return StepResult(.failed, message: "when: \(error.message)")
            }
        }
        var target: TargetSession?
        if var name = step.target {
            if Template.hasExpressions(name) {
                // `target: "${side}"`: the name of one of the playbook's targets, now.
                let written = name
                switch Result(catching: { () throws(TemplateError) in try Template.resolve(.string(written), with: variables) }) {
                case .success(.string(let resolved)) where playbook.target(named: resolved) != nil:
                    name = resolved
                case .success(let other):
                    let known = playbook.targets.map(\.name).joined(separator: ", ")
                    return StepResult(.failed, message: "target \(written) gave \(StepText.shorten(other.jsonText, to: 60)), which is not a target of the playbook (\(known))")
                case .failure(let error):
                    return StepResult(.failed, message: "target: \(error.message)")
                }
            }
            switch step.kind.needsTarget ? await registry.lookup(name) : nil {
            case nil:
                break
            case .open(let session)? where session.quitBy == nil || step.kind == .waitEvent:
                target = session
            case .open(let session)?:
                return StepResult(.failed, message: Self.notStarted(name, .quit(by: session.quitBy ?? "a step")))
            case .closed(.unreachable, _)?:
                // Only after the target failed to open, which already made the run an error.
                return StepResult(.skipped, message: "not run: target \(name) is not connected")
            case .closed(_, let last?)? where step.kind == .waitEvent:
                // A wait still reads the last instance's log (an event that came before a quit or stop counts).
                target = last
            case .closed(let why, _)?:
                return StepResult(.failed, message: Self.notStarted(name, why))
            }
        }
        let action: any PreparedAction
        do throws(StepPreparationError) {
            action = try step.action.prepared(in: ActionContext(
                step: step, target: target, budget: budget, variables: variables,
                playbookDirectory: playbook.directory, sendTimes: sendTimes, observer: observer, registry: registry,
                guestPreflight: guestPreflight))
        } catch {
            return StepResult(.failed, message: error.message)
        }
        let slack = action.slack
        let outcome = await race(timeout: budget + slack) { await action.run() }
        var result: StepResult
        switch outcome {
        case .finished(let finished):
            result = finished
        case .timedOut:
            result = StepResult(.timeout, message: "the step did not finish within \(describe(budget))")
        case .cancelled:
            result = StepResult(.error, message: "interrupted")
        }
        if let limitName, result.status == .timeout {
            result.message = "\(limitName) passed during this step: " + (result.message ?? "timed out")
        }
        return result
    }

    /// `target vm is not started: …`: the message of a step addressing a target with no open instance.
    static func notStarted(_ name: String, _ why: TargetRegistry.Closed) -> String {
        let detail: String
        switch why {
        case .neverStarted: detail = "it has autostart: false and no start step has opened it yet"
        case .unreachable: detail = "it could not be opened"
        case .stopped(let step): detail = "\(step) stopped it"
        case .startFailed(let step): detail = "\(step) did not bring it up"
        case .quit(let step): detail = "\(step) told its QEMU to quit"
        }
        return "target \(name) is not started: \(detail); a start step opens it"
    }
}

extension Step {
    /// `step 'NAME' (line N)`: how messages about other steps name this one.
    var reference: String { "step '\(name)' (line \(location.line))" }
}
