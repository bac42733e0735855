import FoundationEssentials
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
    /// The report's entries, in the order the run reached them: a step in a
    /// loop has one per iteration, a block, include or loop one of its own.
    /// Each goes to the spool when it is final (in memory while its step runs).
    private(set) var steps: ReportSteps
    /// The entries of `redact: true` steps (their events' data is hidden too).
    private(set) var redactedEntries: Set<Int> = []
    private var sendTimes: [String: Date] = [:]
    /// The top-level step of the phase going on (1-based) and how many the phase has, for progress.
    private var topLevel = (position: 0, count: 0)
    /// The playbook's guest agent commands, for the agent preflight (nil with `--no-preflight`).
    private lazy var guestPreflight: GuestPreflight? = options.preflight ? GuestPreflight(playbook) : nil
    /// Whether the step `--start-at` names has been reached (true without `--start-at`).
    private var startReached: Bool
    private let startStep: Step?

    init(
        playbook: Playbook, options: RunOptions, registry: TargetRegistry, variables: Variables,
        observer: any RunObserver, spoolLane: ConnectionExecutor? = nil
    ) {
        steps = ReportSteps(spool: StepSpool.make(writingWhenIdle: spoolLane))
        self.playbook = playbook
        self.options = options
        self.registry = registry
        self.variables = variables
        self.observer = observer
        startStep = options.startAt.flatMap { id in playbook.allMainSteps.first { $0.id == id } }
        startReached = startStep == nil
    }

    /// The report of a run whose steps never ran: every step once, `skipped`.
    static func planned(_ playbook: Playbook) -> [StepReport] {
        var entries: [StepReport] = []
        func add(_ step: Step, parent: Int?) {
            var report = entry(for: step, index: entries.count, name: step.name, scope: Scope(parent: parent))
            report.holdsSteps = step.kind.isGroup
            entries.append(report)
            let index = entries.count - 1
            for child in step.children { add(child, parent: index) }
        }
        for step in playbook.steps + playbook.always { add(step, parent: nil) }
        return entries
    }

    /// Where a step runs: the names only it sees (a loop's element, an
    /// include's vars), the entry it belongs to, its iteration, the tags of
    /// the blocks around it.
    struct Scope: Sendable {
        var locals: [(name: String, value: JSONValue)] = []
        var parent: Int?
        var iteration: Int?
        var item: JSONValue?
        var tags: [String] = []
        /// Whether `--start-at`, `--tag` and `--skip-tag` apply (not to the playbook's `always` steps).
        var selectable = true
    }

    /// The run-wide variables with the scope's own names on top.
    private func variables(in scope: Scope) -> Variables {
        guard !scope.locals.isEmpty else { return variables }
        var visible = variables
        for (name, value) in scope.locals { visible.register(name, value: value) }
        return visible
    }

    private static func entry(for step: Step, index: Int, name: String, scope: Scope) -> StepReport {
        var report = StepReport(
            index: index, id: step.id, name: name, target: step.target,
            action: step.kind,
            phase: step.phase == .always ? .always : .main, status: .skipped, tags: step.tags)
        report.file = step.location.file
        report.line = step.location.line
        report.column = step.location.column
        report.parent = scope.parent
        report.iteration = scope.iteration
        report.item = scope.item
        return report
    }

    /// A new entry for `step` in `scope`; its name with `${…}` resolved (as written when that fails).
    private func open(_ step: Step, scope: Scope, holdsSteps: Bool) -> (index: Int, shown: Step) {
        var name = step.name
        // A name written with `${…}` is resolved for each instance; a default name shows the expression as written.
        if name != step.action.defaultName, Template.hasExpressions(name), case .success(let resolved) = Result(catching: { () throws(TemplateError) in
            try Template.resolve(.string(step.name), with: variables(in: scope))
        }) {
            name = resolved.stringValue ?? resolved.jsonText
        }
        var report = Self.entry(for: step, index: steps.count, name: name, scope: scope)
        report.holdsSteps = holdsSteps
        if step.redact { redactedEntries.insert(report.index) }
        steps.append(report, keepingInMemory: true)
        // Set only what differs: a step shares its values with the playbook's, and a change copies them all.
        var shown = step
        if shown.index != report.index { shown.index = report.index }
        if shown.name != name { shown.name = name }
        return (report.index, shown)
    }

    /// Records `step` (and every step inside it) as not run, with the reason.
    func skip(_ step: Step, because reason: String) {
        skip(step, because: reason, scope: Scope(selectable: step.phase == .main))
    }

    private func skip(_ step: Step, because reason: String, scope: Scope) {
        let (index, _) = open(step, scope: scope, holdsSteps: step.kind.isGroup)
        steps[index].message = reason
        var inner = scope
        inner.parent = index
        for child in step.children { skip(child, because: reason, scope: inner) }
    }

    /// Why `step` is left out by `--tag`, `--skip-tag` or `--start-at`, or nil when it runs (or holds a step that does).
    private func exclusion(of step: Step, scope: Scope) -> String? {
        guard scope.selectable else { return nil }
        if !startReached, let startStep {
            // A block holding the --start-at step is entered; what comes before that step is not run.
            if step.index == startStep.index {
                startReached = true
            } else if !step.withDescendants.contains(where: { $0.index == startStep.index }) {
                return "not run: before --start-at \(options.startAt ?? "")"
            }
        }
        let tags = scope.tags + step.tags
        if !options.tags.isEmpty, !tags.contains(where: options.tags.contains),
           !step.withDescendants.contains(where: { $0.tags.contains(where: options.tags.contains) }) {
            return "not run: no tag selected by --tag"
        }
        if let tag = tags.first(where: options.skipTags.contains) {
            return "not run: --skip-tag \(tag)"
        }
        return nil
    }

    /// How a list of steps goes: the playbook's main steps (and a block's
    /// steps and rescue) stop at the first failure; the `always` steps (the
    /// playbook's and a block's) all run.
    struct Bounds {
        var limit: Limit?
        /// The playbook's deadline, to check before each step (main steps only).
        var deadline: ContinuousClock.Instant?
        var deadlineText: String
        var isAlways: Bool
    }

    /// Runs the main steps in order until one fails, the deadline passes, or the task is cancelled.
    func runMain(deadline: ContinuousClock.Instant?, deadlineText: String) async -> PhaseEnd {
        let limit = deadline.map { Limit(end: $0, name: "the playbook's deadline of \(deadlineText)") }
        let bounds = Bounds(limit: limit, deadline: deadline, deadlineText: deadlineText, isAlways: false)
        return await runList(playbook.steps, scope: Scope(), bounds: bounds, goOnAfterFailure: false)
    }

    /// Runs the `always` steps, each bounded by its own timeout and all by `budget`.
    func runAlways(budget: Duration) async -> PhaseEnd {
        let deadline = ContinuousClock.now + budget
        let limit = Limit(end: deadline, name: "the always steps' time limit of \(describe(budget))")
        let bounds = Bounds(limit: limit, deadline: nil, deadlineText: "", isAlways: true)
        return await runList(playbook.always, scope: Scope(selectable: false), bounds: bounds, goOnAfterFailure: true)
    }

    /// Runs `list` in order within `bounds`; the first failure (not ignored) stops it unless `goOnAfterFailure`.
    private func runList(_ list: [Step], scope: Scope, bounds: Bounds, goOnAfterFailure: Bool) async -> PhaseEnd {
        var end = PhaseEnd()
        for (offset, step) in list.enumerated() {
            if scope.parent == nil { topLevel = (offset + 1, list.count) }
            if Task.isCancelled {
                skip(step, because: bounds.isAlways ? "not run: interrupted a second time" : "not run: the run was interrupted", scope: scope)
                continue
            }
            if let limit = bounds.limit, bounds.isAlways, ContinuousClock.now >= limit.end {
                skip(step, because: "not run: the always steps ran out of time", scope: scope)
                continue
            }
            if end.failure != nil, !goOnAfterFailure {
                skip(step, because: end.deadlinePassed
                     ? "not run: the playbook's deadline of \(bounds.deadlineText) passed"
                     : "not run: an earlier step failed", scope: scope)
                continue
            }
            if let reason = exclusion(of: step, scope: scope) {
                skip(step, because: reason, scope: scope)
                continue
            }
            if let deadline = bounds.deadline, deadline <= ContinuousClock.now {
                end.deadlinePassed = true
                let message = "the playbook's deadline of \(bounds.deadlineText) passed before this step"
                if end.failure == nil { end.failure = .init(step: step, status: .timeout, message: message) }
                let (index, shown) = open(step, scope: scope, holdsSteps: false)
                observer.stepStarted(shown)
                finish(index, step, StepResult(.timeout, message: message), started: Date(), duration: .zero)
                continue
            }
            // A plain step (most of them) goes straight to run: each async call between here and the step is a task switch.
            let outcome = if step.loop == nil, !step.kind.isGroup {
                Self.end(of: step, await run(step, scope: scope, within: bounds.limit))
            } else {
                await runRepeated(step, scope: scope, bounds: bounds)
            }
            if outcome.deadlinePassed { end.deadlinePassed = true }
            if end.failure == nil, let failure = outcome.failure, !Task.isCancelled || bounds.isAlways {
                end.failure = failure
            }
        }
        return end
    }

    /// Runs `step` once, or once per element of its `loop` under an entry of the loop's own.
    private func runRepeated(_ step: Step, scope: Scope, bounds: Bounds) async -> PhaseEnd {
        guard let loop = step.loop else { return await runOnce(step, scope: scope, bounds: bounds) }
        let started = Date()
        let clockStart = ContinuousClock.now
        let (index, shown) = open(step, scope: scope, holdsSteps: true)
        observer.stepStarted(shown)
        let elements: [JSONValue]
        switch LoopElements.resolve(loop, with: variables(in: scope)) {
        case .success(let resolved): elements = resolved
        case .failure(let problem):
            finish(index, step, StepResult(.failed, message: problem.message), started: started, duration: ContinuousClock.now - clockStart)
            return PhaseEnd(failure: .init(step: step, status: .failed, message: problem.message))
        }
        var end = PhaseEnd()
        var inner = scope
        inner.parent = index
        for (number, element) in elements.enumerated() {
            if Task.isCancelled && !bounds.isAlways { break }
            if let deadline = bounds.deadline, deadline <= ContinuousClock.now {
                end.deadlinePassed = true
                end.failure = .init(step: step, status: .timeout, message: "the playbook's deadline of \(bounds.deadlineText) passed before iteration \(number)")
                break
            }
            inner.iteration = number
            inner.item = element
            inner.locals = scope.locals + [(loop.variable, element), ("loop", ["index": .int(Int64(number))])]
            let outcome = await runOnce(step, scope: inner, bounds: bounds)
            if outcome.deadlinePassed { end.deadlinePassed = true }
            if let failure = outcome.failure {
                end.failure = failure
                break
            }
        }
        var result: StepResult
        if let failure = end.failure {
            result = StepResult(failure.status, message: "iteration \(inner.iteration ?? 0): \(failure.message)")
            if step.ignoreErrors { result.status = .ignored; end.failure = nil }
        } else {
            result = StepResult(.passed, message: elements.isEmpty ? "the loop has no elements" : nil)
        }
        finish(index, step, result, started: started, duration: ContinuousClock.now - clockStart)
        return end
    }

    /// Runs one instance of `step`: a leaf step, a block or an include.
    private func runOnce(_ step: Step, scope: Scope, bounds: Bounds) async -> PhaseEnd {
        guard step.kind.isGroup else { return Self.end(of: step, await run(step, scope: scope, within: bounds.limit)) }
        let started = Date()
        let clockStart = ContinuousClock.now
        let (index, shown) = open(step, scope: scope, holdsSteps: true)
        observer.stepStarted(shown)
        var inner = scope
        inner.parent = index
        inner.tags = scope.tags + step.tags
        func skipChildren(_ children: [Step], _ reason: String) {
            for child in children { skip(child, because: reason, scope: inner) }
        }
        if let skipped = whenSkips(step, in: scope) {
            skipChildren(step.children, skipped.message ?? "not run")
            finish(index, step, skipped, started: started, duration: ContinuousClock.now - clockStart)
            return skipped.status.isSuccess ? PhaseEnd() : PhaseEnd(failure: .init(step: step, status: skipped.status, message: skipped.message ?? ""))
        }
        // Inside a block, --start-at and the tags have chosen already: once entered, its rescue and always run as needed.
        var end = PhaseEnd()
        switch step.action {
        case .block(let block):
            let first = steps.count
            let body = await runList(block.steps, scope: inner, bounds: bounds, goOnAfterFailure: false)
            end.deadlinePassed = body.deadlinePassed
            // Once a block is entered, its rescue and always run as needed, whatever --tag or --start-at chose.
            var fallback = inner
            fallback.selectable = false
            if let failure = body.failure, !block.rescue.isEmpty, !Task.isCancelled, !body.deadlinePassed {
                for entry in first..<steps.count where !steps.status(at: entry).isSuccess {
                    steps[entry].status = .rescued
                }
                observer.note("\(failure.stepDescription) failed: running the rescue steps of \(step.reference)", evenWhenQuiet: false)
                let rescue = await runList(block.rescue, scope: fallback, bounds: bounds, goOnAfterFailure: false)
                if rescue.deadlinePassed { end.deadlinePassed = true }
                end.failure = rescue.failure
            } else {
                end.failure = body.failure
                skipChildren(block.rescue, body.failure == nil ? "not run: no step of the block failed" : "not run: \(Task.isCancelled ? "the run was interrupted" : "the playbook's deadline passed")")
            }
            let always = await runList(block.always, scope: fallback, bounds: bounds, goOnAfterFailure: true)
            if always.deadlinePassed { end.deadlinePassed = true }
            if end.failure == nil { end.failure = always.failure }
        case .include(let include):
            var locals = scope.locals
            for (name, value) in include.vars {
                var visible = variables
                for (local, localValue) in locals { visible.register(local, value: localValue) }
                switch Result(catching: { () throws(TemplateError) in try Template.resolve(value, with: visible) }) {
                case .success(let resolved): locals.append((name, resolved))
                case .failure(let error):
                    let message = "vars.\(name): \(error.message)"
                    skipChildren(include.steps, "not run: \(message)")
                    finish(index, step, StepResult(.failed, message: message), started: started, duration: ContinuousClock.now - clockStart)
                    return PhaseEnd(failure: .init(step: step, status: .failed, message: message))
                }
            }
            inner.locals = locals
            end = await runList(include.steps, scope: inner, bounds: bounds, goOnAfterFailure: false)
        default:
            break
        }
        var result = StepResult(.passed)
        if let failure = end.failure {
            result = StepResult(failure.status, message: "\(failure.stepDescription): \(failure.message)")
            if step.ignoreErrors, !Task.isCancelled {
                result.status = .ignored
                end.failure = nil
            }
        }
        finish(index, step, result, started: started, duration: ContinuousClock.now - clockStart)
        return end
    }

    /// How a leaf step's run ends its list: a failure unless it succeeded,
    /// and a passed deadline when the limit (not its own timeout) cut it short.
    private static func end(of step: Step, _ ran: (ended: Ended, cut: Bool)) -> PhaseEnd {
        var end = PhaseEnd()
        let ended = ran.ended
        if !ended.status.isSuccess {
            if ran.cut, ended.status == .timeout { end.deadlinePassed = true }
            end.failure = .init(step: step, status: ended.status, message: ended.message ?? ended.status.rawValue)
        }
        return end
    }

    /// How a step ended, as its report entry says.
    typealias Ended = (status: StepStatus, message: String?)

    /// A time that cuts steps short (the playbook deadline, the always steps' budget), and its name for messages.
    struct Limit {
        var end: ContinuousClock.Instant
        var name: String
    }

    /// Runs one step, its timeout cut short by `limit`; records and shows its report.
    /// - Returns: how it ended, and whether `limit` (not the step's own timeout) bounded it.
    private func run(_ written: Step, scope: Scope, within limit: Limit?) async -> (Ended, cut: Bool) {
        let started = Date()
        let clockStart = ContinuousClock.now
        let (index, shown) = open(written, scope: scope, holdsSteps: false)
        observer.stepStarted(shown)
        if let id = written.id { sendTimes[id] = started }
        // `when` first: a step that does not run resolves nothing else.
        var step = written
        var early = whenSkips(written, in: scope)
        if early == nil, !written.late.isEmpty {
            switch LateValues.resolve(written, with: variables(in: scope)) {
            case .success(let resolved): step = resolved
            case .failure(let problem): early = StepResult(.failed, message: problem.message)
            }
        }

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
        if early == nil {
            observer.stepRunning(shown, progress: StepProgress(position: topLevel.position, count: topLevel.count, budget: budget))
        }
        var result = if let early { early } else { await perform(step, entry: index, scope: scope, budget: budget, cutBy: cutBy) }
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
        let ended = finish(index, step, result, started: started, duration: ContinuousClock.now - clockStart)
        return (ended, cutBy != nil)
    }

    @discardableResult
    private func finish(_ index: Int, _ step: Step, _ result: StepResult, started: Date, duration: Duration) -> Ended {
        var report = steps.take(index)
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
        observer.stepFinished(report)
        let ended = (report.status, report.message)
        steps.storeFinished(report, at: index)
        return ended
    }

    /// The result of a step whose `when` is false (skipped) or not a boolean (failed); nil when it runs.
    private func whenSkips(_ step: Step, in scope: Scope) -> StepResult? {
        guard let when = step.when else { return nil }
        let written = when.stringValue ?? when.jsonText
        switch Result(catching: { () throws(TemplateError) in try Template.resolve(when, with: variables(in: scope)) }) {
        case .success(.bool(true)): return nil
        case .success(.bool(false)): return StepResult(.skipped, message: "not run: when \(written) is false")
        case .success(let other):
            return StepResult(.failed, message: "when \(written) gave \(other.typeName.withArticle) (\(StepText.shorten(other.jsonText, to: 60))), not true or false")
        case .failure(let error):
            return StepResult(.failed, message: "when: \(error.message)")
        }
    }

    /// Resolves the step's templates and runs its action within `budget`.
    private func perform(_ step: Step, entry: Int, scope: Scope, budget: Duration, cutBy limitName: String?) async -> StepResult {
        let variables = variables(in: scope)
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
            switch step.kind.needsTarget ? registry.lookup(name) : nil {
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
                guestPreflight: guestPreflight, entry: entry))
        } catch {
            return StepResult(.failed, message: error.message)
        }
        let slack = action.slack
        let outcome: RaceOutcome<StepResult>
        if action.boundsItself {
            let finished = await action.run()
            outcome = Task.isCancelled ? .cancelled : .finished(finished)
        } else {
            outcome = await race(timeout: budget + slack) { await action.run() }
        }
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
    var reference: String { Self.reference(name: name, line: location.line) }

    static func reference(name: String, line: Int) -> String { "step '\(name)' (line \(line))" }
}
