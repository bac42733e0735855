import Foundation
import Playbook
import QMP

/// Runs a loaded playbook from its targets to its report on disk:
/// `qmpbook run` without the command line.
///
/// ```swift
/// let playbook = try PlaybookLoader.load(path: "Playbooks/usb-hotplug.yaml").get()
/// var options = RunOptions()
/// options.reportPath = "usb.report.json"
/// try PlaybookRunner.validate(playbook, options: options)   // exit 2 material
/// let result = await PlaybookRunner(playbook: playbook, options: options).run()
/// exit(result.exitCode)
/// ```
///
/// ``run()`` never throws: every outcome (passed, failed, an unreachable or
/// lost target, SIGINT/SIGTERM) ends with the `always` steps run, launched
/// QEMUs stopped, the run directory removed, and the report, JUnit file and
/// JSON lines written; the result carries the exit code of SPEC.md §4.
public final class PlaybookRunner: Sendable {
    public let playbook: Playbook
    public let options: RunOptions

    /// What a run produced.
    public struct Result: Sendable {
        public var report: RunReport
        public var exitCode: Int32
        /// Why an output file could not be written, if one could not.
        public var outputErrors: [String]
        /// What the preflight found wrong (printed `FILE:LINE:COLUMN: …`; the run then stopped with exit 2).
        public var preflightProblems: [Diagnostic] { report.preflightProblems }
    }

    public init(playbook: Playbook, options: RunOptions) {
        self.playbook = playbook
        self.options = options
    }

    /// Checks the options against the playbook: `--target` names and `--start-at` ids must exist.
    /// - Throws: ``RunnerError`` (invalid input) naming the problem.
    public static func validate(_ playbook: Playbook, options: RunOptions) throws(RunnerError) {
        for name in options.targetOverrides.keys.sorted() where playbook.target(named: name) == nil {
            let known = playbook.targets.map(\.name).joined(separator: ", ")
            throw RunnerError(.invalidInput, "--target \(name): the playbook has no target '\(name)' (it has \(known))")
        }
        for (name, address) in options.targetOverrides {
            do {
                _ = try MonitorAddress(parsing: address)
            } catch {
                throw RunnerError(.invalidInput, "--target \(name): \(error)")
            }
        }
        if let id = options.startAt, !playbook.steps.contains(where: { $0.id == id }) {
            if playbook.always.contains(where: { $0.id == id }) {
                throw RunnerError(.invalidInput, "--start-at \(id): that is an 'always' step, which runs anyway; name a step of 'steps'")
            }
            throw RunnerError(.invalidInput, "--start-at \(id): no step of the playbook has that id")
        }
        for (option, tags) in [("--tag", options.tags), ("--skip-tag", options.skipTags)] {
            for tag in tags where !playbook.steps.contains(where: { $0.tags.contains(tag) }) {
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

    /// Whether the report or the JSON lines go to stdout (then progress goes to stderr).
    public var usesStandardOutput: Bool {
        options.reportPath == ReportWriter.standardOutput || options.jsonlPath == ReportWriter.standardOutput
    }

    /// Runs the playbook; see the type's documentation.
    public func run() async -> Result {
        let started = Date()
        let runID = Variables.newRunID()
        let clockStart = ContinuousClock.now
        var report = RunReport(
            playbook: .init(path: playbook.path, name: playbook.name, sha256: playbook.sha256), started: started)
        report.steps = playbook.allSteps.map(RunSession.pending)
        report.targets = playbook.targets.map { target in
            TargetReport(name: target.name, mode: options.targetOverrides[target.name] != nil
                         ? .connect : target.kind)
        }
        let progress = ProgressPrinter(
            verbosity: options.verbosity, color: options.color, standardError: usesStandardOutput)
        var outputErrors: [String] = []
        var stream: JSONLinesWriter?
        if let path = options.jsonlPath {
            do {
                stream = try JSONLinesWriter(path: path)
            } catch {
                outputErrors.append(error.message)
            }
        }

        let control = RunControl()
        let watcher = options.handlesSignals ? SignalWatcher { control.signal($0) } : nil
        // A closed stdout (`qmpbook run … | head`) must not kill the run before its report is written.
        if options.handlesSignals { SignalWatcher.ignoreBrokenPipes() }
        defer { watcher?.cancel() }

        var failure: (outcome: RunReport.Outcome, exitCode: Int32, message: String)?
        var sessions: [String: TargetSession] = [:]
        var strays: [LaunchedProcess] = []
        var runDirectory: RunDirectory?

        // The run directory, the variables, and the targets.
        do throws(RunnerError) {
            let folder = try RunDirectory()
            runDirectory = folder
            let variables = Variables(
                vars: playbook.vars, overrides: options.variables, playbookDirectory: playbook.directory,
                runDirectory: folder.path, runID: runID, runStarted: started)
            let opened = try await openTargets(
                variables: variables, folder: folder, control: control, progress: progress, stream: stream)
            (sessions, strays) = (opened.sessions, opened.strays)
            opened.update(&report.targets)
            if let broken = opened.openings.first(where: { $0.session == nil }), control.interruption == nil {
                throw RunnerError(.infrastructure, "target \(broken.report.name): \(broken.report.error ?? "could not be opened")")
            }

            if options.preflight, control.interruption == nil {
                let preflightStart = ContinuousClock.now
                let problems = try await preflight(sessions, variables: variables, control: control)
                report.preflightDuration = ContinuousClock.now - preflightStart
                if problems.isEmpty {
                    progress.note("preflight passed in \(ProgressPrinter.describe(report.preflightDuration ?? .zero))")
                } else {
                    report.preflightProblems = problems
                    let count = problems.count == 1 ? "a problem" : "\(problems.count) problems"
                    throw RunnerError(.invalidInput, "the preflight found \(count) in the playbook; nothing was run")
                }
            }

            let session = RunSession(
                playbook: playbook, options: options, targets: sessions, variables: variables, progress: progress,
                stream: stream)
            if control.interruption != nil {
                for step in playbook.steps { await session.skip(step, because: "not run: the run was interrupted") }
            } else {
                let timeout = options.timeout ?? playbook.timeout
                let deadline = timeout.map { clockStart + $0 }
                let text = timeout.map(describe) ?? ""
                let main = await control.phase(.main) { await session.runMain(deadline: deadline, deadlineText: text) }
                if let end = main, let first = end.failure {
                    failure = Self.failure(first)
                }
            }
            let always = await control.phase(.always) { await session.runAlways(budget: self.options.alwaysBudget) }
            if failure == nil, let first = always?.failure {
                failure = Self.failure(first)
            }
            report.steps = await session.steps
        } catch {
            failure = (.error, error.kind == .invalidInput ? 2 : 3, error.message)
            // Targets that are up still get their always steps.
            do {
                let session = RunSession(
                    playbook: playbook, options: options, targets: sessions,
                    variables: Variables(vars: playbook.vars, overrides: options.variables,
                                         playbookDirectory: playbook.directory, runDirectory: runDirectory?.path,
                                         runID: runID, runStarted: started),
                    progress: progress, stream: stream)
                for step in playbook.steps {
                    await session.skip(step, because: "not run: \(error.message)")
                }
                if !sessions.isEmpty, error.kind != .invalidInput {
                    _ = await control.phase(.always) { await session.runAlways(budget: self.options.alwaysBudget) }
                } else {
                    for step in playbook.always {
                        await session.skip(step, because: "not run: \(error.message)")
                    }
                }
                report.steps = await session.steps
            }
        }

        // Stop what was launched, and collect the event logs.
        let interrupted = control.interruption
        let grace = interrupted == nil ? options.shutdownGrace : min(options.shutdownGrace, .seconds(2))
        if !sessions.isEmpty { progress.note("stopping \(sessions.count) target\(sessions.count == 1 ? "" : "s")") }
        await Self.closeTargets(sessions: sessions, strays: strays, grace: grace, reports: &report.targets)
        HostCommand.killAllRunning()
        report.events = await Self.events(of: sessions, redactedSteps: Set(playbook.allSteps.filter(\.redact).map(\.index)))

        if let signal = interrupted {
            report.outcome = .interrupted
            report.exitCode = SignalWatcher.exitCode(of: signal)
            report.message = "interrupted by \(SignalWatcher.name(of: signal))"
        } else if let failure {
            report.outcome = failure.outcome
            report.exitCode = failure.exitCode
            report.message = failure.message
        }
        report.finished = Date()
        report.duration = ContinuousClock.now - clockStart

        if let folder = runDirectory {
            if options.keepRunDirectory {
                progress.note("run directory kept: \(folder.path)", evenWhenQuiet: true)
            } else {
                folder.remove()
            }
        }
        outputErrors += write(report, stream: stream)
        progress.finished(report)
        if !outputErrors.isEmpty, report.exitCode == 0 { report.exitCode = 3 }
        return Result(
            report: report, exitCode: report.exitCode, outputErrors: outputErrors)
    }

    /// Runs the preflight on the open targets (cancellable like startup).
    private func preflight(
        _ sessions: [String: TargetSession], variables: Variables, control: RunControl
    ) async throws(RunnerError) -> [Diagnostic] {
        let cache = SchemaCache.defaultDirectory().map { SchemaCache(directory: $0) }
        let playbook = self.playbook
        let outcome = await control.phase(.startup) { () async -> Swift.Result<[Diagnostic], RunnerError> in
            // Raced so that a signal does not wait for a schema that is still arriving.
            let checked = await race(timeout: nil) { () async -> Swift.Result<[Diagnostic], RunnerError> in
                do throws(RunnerError) {
                    return .success(try await Preflight.check(playbook, targets: sessions, variables: variables, cache: cache))
                } catch {
                    return .failure(error)
                }
            }
            if case .finished(let result) = checked { return result }
            return .success([])
        }
        return try outcome?.get() ?? []
    }

    private static func failure(
        _ first: PhaseEnd.Failure
    ) -> (outcome: RunReport.Outcome, exitCode: Int32, message: String) {
        let what = first.stepDescription
        switch first.status {
        case .error: return (.error, 3, "\(what): \(first.message)")
        case .timeout: return (.failed, 1, "\(what) timed out: \(first.message)")
        default: return (.failed, 1, "\(what) failed: \(first.message)")
        }
    }

    /// Resolves how to reach `target`: `--target` overrides, templates, the launch socket.
    func plan(
        for target: TargetSpec, variables: Variables, folder: RunDirectory
    ) throws(RunnerError) -> TargetSession.Plan {
        func text(_ value: JSONValue, _ what: String) throws(RunnerError) -> String {
            let resolved: JSONValue
            do {
                resolved = try Template.resolve(value, with: variables)
            } catch {
                throw RunnerError(.invalidInput, "target \(target.name): \(what): \(error.message)")
            }
            switch resolved {
            case .string(let string): return string
            case .int, .uint, .double, .bool: return resolved.jsonText
            default: throw RunnerError(.invalidInput, "target \(target.name): \(what) must be a string, not \(resolved.typeName)")
            }
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
            return .connect(try address(override))
        }
        switch target.mode {
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
            let socket = folder.file("\(stem).qmp")
            argv += ["-qmp", "unix:\(socket),server=on,wait=off"]
            return .launch(command: argv, environment: env, socket: socket, output: folder.file("\(stem).log"))
        }
    }

    /// Opens every target at once.
    ///
    /// Events are shown as they arrive (`--jsonl`, `--verbose`); the data of
    /// an event in `redactedEvents` (`TARGET/NAME`, see ``redactedEventKeys``)
    /// is shown as `"<redacted>"`, since a redacted step may take it later.
    static func open(
        _ plans: [(TargetSpec, TargetSession.Plan)], options: RunOptions, progress: ProgressPrinter,
        stream: JSONLinesWriter?, redactedEvents: Set<String> = []
    ) async -> [TargetSession.Opening] {
        await withTaskGroup(of: TargetSession.Opening.self) { group in
            for (spec, plan) in plans {
                group.addTask {
                    let started = ContinuousClock.now
                    var opening = await TargetSession.open(
                        name: spec.name, plan: plan, capabilities: spec.capabilities,
                        timeout: spec.timeout ?? options.defaultTargetTimeout, exitNoticeWait: options.exitNoticeWait,
                        monitorOptions: options.monitorOptions
                    ) { target, event in
                        let redacted = redactedEvents.contains("\(target)/\(event.name)")
                        stream?.event(EventReport(target: target, event: event, redacted: redacted))
                        progress.reply("event \(redacted ? "\(event.name) <redacted>" : event.summary)", target: target)
                    }
                    opening.report.openedIn = ContinuousClock.now - started
                    if let session = opening.session {
                        let pid = opening.process.map { ", pid \($0.pid)" } ?? ""
                        let time = ProgressPrinter.describe(opening.report.openedIn ?? .zero)
                        progress.note("\(spec.name): QEMU \(session.greeting.version) (\(plan.mode.rawValue)\(pid)) in \(time)")
                    }
                    return opening
                }
            }
            var openings: [TargetSession.Opening] = []
            for await opening in group { openings.append(opening) }
            return openings
        }
    }

    /// Every target's events in the order received, with redaction for those taken by redacted steps.
    private static func events(of sessions: [String: TargetSession], redactedSteps: Set<Int>) async -> [EventReport] {
        var all: [EventReport] = []
        for (name, session) in sessions {
            for event in await session.events.events {
                let redacted = event.takenBy.map(redactedSteps.contains) ?? false
                all.append(EventReport(target: name, event: event, redacted: redacted))
            }
        }
        return all.sorted { $0.event.received < $1.event.received }
    }

    /// Writes the report, the JUnit file, the HTML page and the last JSON line; returns what failed.
    private func write(_ report: RunReport, stream: JSONLinesWriter?) -> [String] {
        var errors: [String] = []
        let reportPath = options.reportPath ?? Self.defaultReportPath(for: playbook.path)
        do {
            try ReportWriter.write(report.jsonValue, to: reportPath)
        } catch {
            errors.append(error.message)
        }
        if let path = options.junitPath {
            do {
                try ReportWriter.write(Array(JUnitWriter.render(report).utf8), to: path)
            } catch {
                errors.append(error.message)
            }
        }
        if let path = options.htmlPath {
            do {
                try ReportWriter.write(Array(HTMLReport.render(report).utf8), to: path)
            } catch {
                errors.append(error.message)
            }
        }
        stream?.report(report)
        stream?.close()
        return errors
    }
}
