import Foundation
import Playbook
import QMP

extension PlaybookRunner {
    /// What ``preflightOnly()`` found.
    public struct PreflightResult: Sendable {
        /// Every problem (printed as one `FILE:LINE:COLUMN: target NAME: PATH: MESSAGE` line each).
        public var problems: [Diagnostic] = []
        /// Every target as the report would give it: mode, address, QEMU version, the
        /// launched process, or `error` when the target could not be opened.
        public var targets: [TargetReport] = []
        /// For each target whose schema was read: whether it came from the cache (false: fetched).
        public var schemaFromCache: [String: Bool] = [:]
        /// How many steps were checked against a schema.
        public var checkedSteps = 0
        /// From every target open to the check done: the schema fetch (or cache read) and the checks.
        public var duration: Duration?
        /// 0 (no problem), 2 (problems, or an invalid target definition), 3 (a target could
        /// not be opened or its schema read), 130/143 (SIGINT/SIGTERM).
        public var exitCode: Int32 = 0
        /// Why the check did not pass, in one line; nil when it did.
        public var message: String?

        public init() {}
    }

    /// Opens the targets, runs the preflight, and closes them again, without running any step.
    ///
    /// ```swift
    /// let result = await PlaybookRunner(playbook: playbook, options: options).preflightOnly()
    /// for problem in result.problems { print(problem) }   // book.yaml:9:13: target vm: arguments…
    /// exit(result.exitCode)
    /// ```
    ///
    /// Targets are opened as ``run()`` opens them (`launch`, `connect`,
    /// `listen`, `--target` overrides, templates in addresses and launch
    /// arguments) and closed as it closes them: a launched QEMU is stopped
    /// (`quit`, grace, SIGTERM, SIGKILL), a `connect`/`listen` target's QEMU
    /// is left running. Nothing but the QMP handshake, `query-target` and
    /// `query-qmp-schema` is sent to any target (no schema query when the
    /// cache has it).
    /// The targets that opened are checked even when another did not. No
    /// report is written. Never throws: the result carries the exit code.
    public func preflightOnly() async -> PreflightResult {
        var result = PreflightResult()
        result.targets = playbook.targets.map { target in
            TargetReport(name: target.name, mode: options.targetOverrides[target.name] != nil
                         ? .connect : target.kind)
        }
        let progress = ProgressPrinter(
            verbosity: options.verbosity, color: options.color, standardError: usesStandardOutput)
        let control = RunControl()
        let watcher = options.handlesSignals ? SignalWatcher { control.signal($0) } : nil
        defer { watcher?.cancel() }

        var sessions: [String: TargetSession] = [:]
        var strays: [LaunchedProcess] = []
        var runDirectory: RunDirectory?
        do throws(RunnerError) {
            let folder = try RunDirectory()
            runDirectory = folder
            let variables = Variables(
                vars: playbook.vars, overrides: options.variables, playbookDirectory: playbook.directory,
                runDirectory: folder.path)
            let opened = try await openTargets(
                variables: variables, folder: folder, control: control, progress: progress, stream: nil)
            (sessions, strays) = (opened.sessions, opened.strays)
            opened.update(&result.targets)
            if control.interruption == nil, !sessions.isEmpty {
                let started = ContinuousClock.now
                if let outcome = try await preflightPhase(sessions, variables: variables, control: control) {
                    result.problems = outcome.problems
                    result.schemaFromCache = outcome.schemaFromCache
                    result.checkedSteps = outcome.checkedSteps
                    result.duration = ContinuousClock.now - started
                }
            }
            if let broken = result.targets.first(where: { $0.error != nil }), control.interruption == nil {
                throw RunnerError(.infrastructure, "target \(broken.name): \(broken.error ?? "could not be opened")")
            }
            if !result.problems.isEmpty {
                let count = result.problems.count == 1 ? "a problem" : "\(result.problems.count) problems"
                throw RunnerError(.invalidInput, "the preflight found \(count)")
            }
        } catch {
            result.exitCode = error.kind == .invalidInput ? 2 : 3
            result.message = error.message
        }

        let interrupted = control.interruption
        let grace = interrupted == nil ? options.shutdownGrace : min(options.shutdownGrace, .seconds(2))
        await Self.closeTargets(sessions: sessions, strays: strays, grace: grace, reports: &result.targets)
        if let folder = runDirectory {
            if options.keepRunDirectory {
                progress.note("run directory kept: \(folder.path)", evenWhenQuiet: true)
            } else {
                folder.remove()
            }
        }
        if let signal = interrupted {
            result.exitCode = SignalWatcher.exitCode(of: signal)
            result.message = "interrupted by \(SignalWatcher.name(of: signal))"
        }
        return result
    }

    /// Runs the preflight on the open targets; nil when a signal ended it.
    func preflightPhase(
        _ sessions: [String: TargetSession], variables: Variables, control: RunControl
    ) async throws(RunnerError) -> Preflight.Outcome? {
        let cache = SchemaCache.defaultDirectory().map { SchemaCache(directory: $0) }
        let playbook = self.playbook
        let outcome = await control.phase(.startup) { () async -> Swift.Result<Preflight.Outcome, RunnerError>? in
            // Raced so that a signal does not wait for a schema that is still arriving.
            let checked = await race(timeout: nil) { () async -> Swift.Result<Preflight.Outcome, RunnerError> in
                do throws(RunnerError) {
                    return .success(try await Preflight.run(playbook, targets: sessions, variables: variables, cache: cache))
                } catch {
                    return .failure(error)
                }
            }
            if case .finished(let result) = checked { return result }
            return nil
        }
        guard let checked = outcome ?? nil else { return nil }
        return try checked.get()
    }
}
