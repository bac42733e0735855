import FoundationEssentials
import Libvirt
import Playbook
import QMP
import Synchronization

/// Runs a loaded playbook from its targets to its report on disk:
/// `qmpbook run` without the command line.
///
/// ```swift
/// let playbook = try PlaybookLoader.load(path: "Playbooks/usb-hotplug.yaml").get()
/// var options = RunOptions()
/// options.reportPath = "usb.report.json"
/// try PlaybookRunner.validate(playbook, options: options)   // exit 2 material
/// let runner = PlaybookRunner(playbook: playbook, options: options, observers: [ProgressPrinter()])
/// let result = await runner.run()
/// exit(result.exitStatus.code)
/// ```
///
/// ``run()`` never throws: every outcome (passed, failed, an unreachable or
/// lost target, ``interrupt(signal:)``) ends with the `always` steps run,
/// launched QEMUs stopped, the run directory removed, and the report, JUnit
/// file and HTML page written; the result carries the exit status of
/// SPEC.md §4. What happens meanwhile goes to the observers
/// (``RunObserver``): the runner itself prints nothing and installs no
/// signal handlers. A runner runs once.
public final class PlaybookRunner: Sendable {
    public let playbook: Playbook
    public let options: RunOptions
    /// Every observer of the run, called in the order given.
    public let observer: MultiplexRunObserver
    /// The phase going on and the signals that arrived (``interrupt(signal:)``).
    let control = RunControl()
    /// The run's deadline (`--timeout`, else the playbook's `timeout`),
    /// counted from the start of ``run()``: it bounds opening the targets too.
    let deadline = Mutex<Deadline?>(nil)

    /// When the run must end, and how messages say it (`1s`).
    struct Deadline: Sendable {
        var end: ContinuousClock.Instant
        var text: String
    }

    /// The most all `always` steps together may take: the playbook's `always-timeout`, else the options' (60s).
    var alwaysBudget: Duration { playbook.alwaysTimeout ?? options.alwaysBudget }
    /// `${run.id}` and `${run.started}` of this run.
    let runID = Variables.newRunID()
    let runStarted = Date()

    /// What a run produced.
    public struct Result: Sendable {
        public var report: RunReport
        /// The report's status, or ``ExitStatus/infrastructure`` when a passing run could not write an output.
        public var exitStatus: ExitStatus
        /// Why an output file could not be written, if one could not.
        public var outputErrors: [String]
        /// What the preflight found wrong (the run then stopped with ``ExitStatus/invalidInput``).
        public var preflightProblems: [PreflightProblem] { report.preflightProblems }
    }

    /// - Parameter observers: what follows the run as it happens (progress, JSON lines…), in this order.
    public init(playbook: Playbook, options: RunOptions, observers: [any RunObserver] = []) {
        self.playbook = playbook
        self.options = options
        // The report's other renderings follow the run like any output; the JSON report itself is on disk before them.
        var outputs = observers
        if let path = options.junitPath { outputs.append(ReportFileWriter(path: path) { Array(JUnitWriter.render($0).utf8) }) }
        if let path = options.htmlPath { outputs.append(ReportFileWriter(path: path) { HTMLReport.renderedBytes($0) }) }
        self.observer = MultiplexRunObserver(outputs)
    }

    /// Checks the options against the playbook: `--target` names and `--start-at` ids must exist,
    /// and no output (the report, JUnit, HTML, and `streams` such as `--jsonl`) may be the
    /// playbook or share a file with another (``OutputPaths``).
    /// - Throws: ``RunnerError`` (invalid input) naming the problem.
    public static func validate(
        _ playbook: Playbook, options: RunOptions, streams: [(option: String, path: String)] = []
    ) throws(RunnerError) {
        var outputs: [(option: String, path: String)] = [("--report", options.reportPath ?? defaultReportPath(for: playbook.path))]
        if let path = options.junitPath { outputs.append(("--junit", path)) }
        if let path = options.htmlPath { outputs.append(("--html", path)) }
        try OutputPaths.check(outputs + streams, playbook: playbook.path)
        for name in options.targetOverrides.keys.sorted() where playbook.target(named: name) == nil {
            let known = playbook.targets.map(\.name).joined(separator: ", ")
            throw RunnerError(.invalidInput, "--target \(name): the playbook has no target '\(name)' (it has \(known))")
        }
        for (name, address) in options.targetOverrides {
            if LibvirtAddress.isLibvirt(address) {
                let parsed = try libvirtAddress(address, target: name)
                if let target = playbook.target(named: name) { try checkLibvirtSteps(of: target, uri: parsed.uri, in: playbook) }
                continue
            }
            do {
                _ = try MonitorAddress(parsing: address)
            } catch {
                throw RunnerError(.invalidInput, "--target \(name): \(error)")
            }
        }
        if let id = options.startAt, !playbook.allMainSteps.contains(where: { $0.id == id }) {
            if playbook.allSteps.contains(where: { $0.id == id }) {
                throw RunnerError(.invalidInput, "--start-at \(id): that is an 'always' step, which runs anyway; name a step of 'steps'")
            }
            throw RunnerError(.invalidInput, "--start-at \(id): no step of the playbook has that id")
        }
        for (option, tags) in [("--tag", options.tags), ("--skip-tag", options.skipTags)] {
            for tag in tags where !playbook.allMainSteps.contains(where: { $0.tags.contains(tag) }) {
                throw RunnerError(.invalidInput, "\(option) \(tag): no step has tag '\(tag)'")
            }
        }
    }

    /// The default report path: `PLAYBOOK-STEM.report.json` in the current folder.
    public static func defaultReportPath(for playbookPath: String) -> String {
        var stem = URL(fileURLWithPath: playbookPath).lastPathComponent
        for suffix in [".yaml", ".yml"] where stem.hasSuffix(suffix) {
            stem.removeLast(suffix.count)
        }
        return stem + ".report.json"
    }

    /// Stops the run as a signal would (SPEC.md §4): the first call cancels
    /// the target startup, the preflight or the running main step (the rest
    /// are skipped), then the `always` steps run; a second call also cuts the
    /// `always` steps short. The run ends `interrupted` with exit status
    /// 128 + `signal` and the message `interrupted by SIGNAME`.
    ///
    /// The runner installs no signal handlers: the command line calls this
    /// from its own (SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2); other callers
    /// call it when they want the run to stop. Safe from any thread, at any
    /// time; before ``run()`` starts, the run stops before its first step.
    public func interrupt(signal: Int32) {
        control.signal(signal)
    }

    /// Runs the playbook; see the type's documentation.
    public func run() async -> Result {
        let started = runStarted
        let clockStart = ContinuousClock.now
        let runTimeout = options.timeout ?? playbook.timeout
        let runDeadline = runTimeout.map { Deadline(end: clockStart + $0, text: describe($0)) }
        deadline.withLock { $0 = runDeadline }
        var report = RunReport(
            playbook: .init(path: playbook.path, name: playbook.name, sha256: playbook.sha256), started: started)
        report.targets = initialTargetReports

        var failure: (outcome: RunReport.Outcome, status: ExitStatus, message: String)?
        // Set by whichever of the two closures below runs; the plan of the steps otherwise.
        var steps: ReportSteps?
        var redactedEntries: Set<Int> = []
        var preflightDuration: Duration?
        var preflightProblems: [PreflightProblem] = []
        let control = self.control
        let ending = await withOpenTargets(reports: &report.targets, announcingStop: true) { setup throws(RunnerError) in
            if let broken = setup.opened.openings.first(where: { $0.session == nil }), control.interruption == nil {
                if let runDeadline, ContinuousClock.now >= runDeadline.end {
                    throw RunnerError(
                        .deadlinePassed,
                        "the playbook's deadline of \(runDeadline.text) passed while opening target \(broken.report.name)"
                            + " (\(broken.report.error ?? "not opened"))")
                }
                throw RunnerError(.infrastructure, "target \(broken.report.name): \(broken.report.error ?? "could not be opened")")
            }
            if options.preflight, control.interruption == nil {
                let preflightStart = ContinuousClock.now
                let problems = try await preflight(setup.sessions, variables: setup.variables)?.problems ?? []
                preflightDuration = ContinuousClock.now - preflightStart
                if problems.isEmpty {
                    observer.note("preflight passed in \(describe(preflightDuration ?? .zero))")
                } else {
                    preflightProblems = problems
                    let count = problems.count == 1 ? "a problem" : "\(problems.count) problems"
                    throw RunnerError(.invalidInput, "the preflight found \(count) in the playbook; nothing was run")
                }
            }

            let session = RunSession(
                playbook: playbook, options: options, registry: setup.registry, variables: setup.variables,
                observer: observer, spoolLane: setup.stepExecutor as? ConnectionExecutor)
            if control.interruption != nil {
                for step in playbook.steps { await session.skip(step, because: "not run: the run was interrupted") }
            } else {
                let main = await control.phase(.main, on: setup.stepExecutor) {
                    await session.runMain(deadline: runDeadline?.end, deadlineText: runDeadline?.text ?? "")
                }
                if let end = main, let first = end.failure {
                    failure = Self.failure(first)
                }
            }
            let always = await control.phase(.always, on: setup.stepExecutor) {
                await session.runAlways(budget: self.alwaysBudget)
            }
            if failure == nil, let first = always?.failure {
                failure = Self.failure(first)
            }
            steps = await session.steps
            redactedEntries = await session.redactedEntries
        } recover: { error, setup in
            failure = (error.kind == .deadlinePassed ? .failed : .error, ExitStatus(error.kind), error.message)
            // Targets that are up still get their always steps.
            let session = RunSession(
                playbook: playbook, options: options, registry: setup.registry, variables: setup.variables,
                observer: observer)
            for step in playbook.steps {
                await session.skip(step, because: "not run: \(error.message)")
            }
            if !setup.sessions.isEmpty, error.kind != .invalidInput {
                _ = await control.phase(.always, on: setup.stepExecutor) {
                    await session.runAlways(budget: self.alwaysBudget)
                }
            } else {
                for step in playbook.always {
                    await session.skip(step, because: "not run: \(error.message)")
                }
            }
            steps = await session.steps
            redactedEntries = await session.redactedEntries
        }
        report.steps = steps ?? ReportSteps(RunSession.planned(playbook))
        report.preflightDuration = preflightDuration
        report.preflightProblems = preflightProblems
        (report.events, report.eventsLeftOut) = await Self.reportEvents(
            of: ending.sessions, redactedSteps: redactedEntries, limit: options.reportEventLimit)

        if let signal = ending.interruption {
            report.outcome = .interrupted
            (report.exitStatus, report.message) = Self.interruption(signal)
        } else if let failure {
            report.outcome = failure.outcome
            report.exitStatus = failure.status
            report.message = failure.message
        }
        report.finished = Date()
        report.duration = ContinuousClock.now - clockStart

        var outputErrors = write(report)
        observer.runFinished(report)
        outputErrors += observer.outputErrors
        var result = Result(report: report, exitStatus: report.exitStatus, outputErrors: outputErrors)
        if !outputErrors.isEmpty, result.exitStatus == .passed { result.exitStatus = .infrastructure }
        return result
    }

    private static func failure(
        _ first: PhaseEnd.Failure
    ) -> (outcome: RunReport.Outcome, status: ExitStatus, message: String) {
        let what = first.stepDescription
        switch first.status {
        case .error: return (.error, .infrastructure, "\(what): \(first.message)")
        case .timeout: return (.failed, .stepFailed, "\(what) timed out: \(first.message)")
        default: return (.failed, .stepFailed, "\(what) failed: \(first.message)")
        }
    }

    /// Resolves how to reach `target`: `--target` overrides, templates, the launch socket.
    func plan(
        for target: TargetSpec, variables: Variables, folder: RunDirectory
    ) throws(RunnerError) -> TargetSession.Plan {
        func text(_ value: JSONValue, _ what: String) throws(RunnerError) -> String {
            try Self.resolvedText(value, what, target: target, variables: variables)
        }
        func address(_ value: String) throws(RunnerError) -> MonitorAddress {
            let resolved = try text(.string(value), "address")
            do {
                return try MonitorAddress(parsing: resolved)
            } catch {
                throw RunnerError(.invalidInput, "target \(target.name): \(error)")
            }
        }
        if let override = options.targetOverrides[target.name] {
            if LibvirtAddress.isLibvirt(override) { return try libvirtOverride(override, target: target, variables: variables) }
            return .connect(try address(override))
        }
        switch target.mode {
        case .libvirt(let libvirt):
            return try libvirtPlan(libvirt, target: target, variables: variables)
        case .connect(let value):
            return .connect(try address(value))
        case .listen(let value):
            return .listen(try address(value))
        case .launch(let command, let environment):
            var argv: [String] = []
            for (index, element) in command.enumerated() {
                argv.append(try text(element, "launch argument \(index)"))
            }
            var env: [String: String] = [:]
            for (key, value) in environment {
                env[key] = try text(value, "launch env \(key)")
            }
            // A unix socket path holds at most 107 bytes: long target names get a short file name.
            var stem = target.name
            if folder.file("\(stem).qmp").utf8.count > 100 || stem.contains("/") || stem.contains(",") {
                stem = "target-\(playbook.targets.firstIndex { $0.name == target.name } ?? 0)"
            }
            argv.insert(contentsOf: ChannelPlan.launchArguments(spec: target, stem: folder.file(stem)), at: 1)
            return .launching(argv, environment: env, in: folder, stem: stem)
        }
    }

    /// Opens every target at once.
    ///
    /// Events are shown as they arrive (`--jsonl`, `--verbose`); the data of
    /// an event in `redactedEvents` (`TARGET/NAME`, see ``redactedEventKeys``)
    /// is shown as `"<redacted>"`, since a redacted step may take it later.
    /// Each target gets its own `timeout` (default 10s), or what is left
    /// until `deadline` (the run's), whichever ends first.
    static func open(
        _ plans: [(TargetSpec, TargetSession.Plan)], options: RunOptions, observer: any RunObserver,
        redactedEvents: Set<String> = [], deadline: ContinuousClock.Instant? = nil
    ) async -> [TargetSession.Opening] {
        await withTaskGroup(of: TargetSession.Opening.self) { group in
            for (spec, plan) in plans {
                group.addTask {
                    await openOne(
                        spec, plan: plan, options: options, observer: observer, redactedEvents: redactedEvents,
                        deadline: deadline)
                }
            }
            var openings: [TargetSession.Opening] = []
            for await opening in group { openings.append(opening) }
            return openings
        }
    }

    /// Opens one target within its timeout (cut to `limit`, and to what is left
    /// until `deadline`, when those are shorter), noting its QEMU when it answers.
    static func openOne(
        _ spec: TargetSpec, plan: TargetSession.Plan, options: RunOptions, observer: any RunObserver,
        redactedEvents: Set<String>, limit: Duration? = nil, deadline: ContinuousClock.Instant? = nil
    ) async -> TargetSession.Opening {
        let started = ContinuousClock.now
        let startDate = Date()
        var timeout = spec.timeout ?? options.defaultTargetTimeout
        if let limit { timeout = min(timeout, limit) }
        if let deadline { timeout = max(.milliseconds(1), min(timeout, deadline - started)) }
        var opening = await TargetSession.open(
            name: spec.name, plan: plan, capabilities: spec.capabilities,
            timeout: timeout, exitNoticeWait: options.exitNoticeWait,
            monitorOptions: options.monitorOptions, channels: ChannelPlan(spec: spec, plan: plan)
        ) { target, event in
            let redacted = redactedEvents.contains("\(target)/\(event.name)")
            observer.eventReceived(EventReport(target: target, event: event, redacted: redacted))
        }
        opening.started = startDate
        opening.report.openedIn = ContinuousClock.now - started
        if let session = opening.session {
            let pid = opening.process.map { ", pid \($0.pid)" } ?? ""
            let time = describe(opening.report.openedIn ?? .zero)
            observer.note("\(spec.name): QEMU \(session.greeting.version) (\(plan.mode.rawValue)\(pid)) in \(time)")
            if let libvirt = opening.report.libvirt {
                // libvirt's own mark on a domain whose monitor is used directly: said once per target.
                observer.note("\(spec.name): libvirt now marks domain '\(libvirt.domain)' tainted: \(LibvirtMonitor.taint) (QMP passed through by qmpbook)")
            }
        }
        return opening
    }

    /// How a `start` step opens its target: as the run's start opens them.
    func opener() -> TargetRegistry.Opener {
        let options = self.options
        let observer = self.observer
        let redactedEvents = redactedEventKeys
        return { spec, plan, limit in
            await Self.openOne(
                spec, plan: plan, options: options, observer: observer, redactedEvents: redactedEvents, limit: limit)
        }
    }

    /// The events the report keeps (within `limit`; see ``EventReport/kept(_:limit:)``)
    /// in the order received, with redaction for those taken by redacted
    /// steps, and how many it leaves out. Each target's log gives only what
    /// the cap could keep, so a flooded log is not copied whole.
    private static func reportEvents(
        of sessions: [(name: String, session: TargetSession)], redactedSteps: Set<Int>, limit: Int?
    ) async -> ([EventReport], leftOut: Int) {
        var all: [EventReport] = []
        var passedOver = 0
        for (name, session) in sessions {
            let (events, held) = await session.events.reportable(limit: limit)
            passedOver += held - events.count
            for event in events {
                let redacted = event.takenBy.map(redactedSteps.contains) ?? false
                all.append(EventReport(target: name, event: event, redacted: redacted))
            }
        }
        if sessions.count > 1 { all.sort { $0.event.received < $1.event.received } }
        let (kept, leftOut) = EventReport.kept(all, limit: limit)
        return (kept, leftOut + passedOver)
    }

    /// Writes the JSON report; returns what failed.
    private func write(_ report: RunReport) -> [String] {
        let reportPath = options.reportPath ?? Self.defaultReportPath(for: playbook.path)
        do {
            try ReportWriter.write(report, to: reportPath)
            return []
        } catch {
            return [error.message]
        }
    }
}
