import FoundationEssentials
import Playbook
import QMP

extension PlaybookRunner {
    /// What ``preflightOnly()`` found.
    public struct PreflightResult: Sendable {
        /// Every problem (the command line prints one `FILE:LINE:COLUMN: target NAME: PATH: MESSAGE` line each).
        public var problems: [PreflightProblem] = []
        /// Every target as the report would give it: mode, address, QEMU version, the
        /// launched process, or `error` when the target could not be opened.
        public var targets: [TargetReport] = []
        /// For each target whose schema was read: whether it came from the cache (false: fetched).
        public var schemaFromCache: [String: Bool] = [:]
        /// How many steps were checked against a schema.
        public var checkedSteps = 0
        /// From every target open to the check done: the schema fetch (or cache read) and the checks.
        public var duration: Duration?
        /// ``ExitStatus/passed`` (no problem), ``ExitStatus/invalidInput`` (problems, or an invalid
        /// target definition), ``ExitStatus/infrastructure`` (a target could not be opened or its
        /// schema read), ``ExitStatus/interrupted(signal:)`` (``interrupt(signal:)``).
        public var exitStatus: ExitStatus = .passed
        /// Why the check did not pass, in one line; nil when it did.
        public var message: String?

        public init() {}
    }

    /// Opens the targets, runs the preflight, and closes them again, without running any step.
    ///
    /// ```swift
    /// let result = await PlaybookRunner(playbook: playbook, options: options).preflightOnly()
    /// for problem in result.problems { print(problem.diagnostic) }   // book.yaml:9:13: target vm: arguments…
    /// exit(result.exitStatus.code)
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
        var targets = initialTargetReports
        var outcome: Preflight.Outcome?
        var duration: Duration?
        let control = self.control
        let ending = await withOpenTargets(reports: &targets) { setup throws(RunnerError) in
            if control.interruption == nil, !setup.sessions.isEmpty {
                let started = ContinuousClock.now
                outcome = try await preflight(setup.sessions, variables: setup.variables)
                if outcome != nil { duration = ContinuousClock.now - started }
            }
            let reports = playbook.targets.compactMap { target in
                setup.opened.openings.first { $0.report.name == target.name }?.report
            }
            if let broken = reports.first(where: { $0.error != nil }), control.interruption == nil {
                throw RunnerError(.infrastructure, "target \(broken.name): \(broken.error ?? "could not be opened")")
            }
            if let problems = outcome?.problems, !problems.isEmpty {
                let count = problems.count == 1 ? "a problem" : "\(problems.count) problems"
                throw RunnerError(.invalidInput, "the preflight found \(count)")
            }
        }
        result.targets = targets
        if let outcome {
            result.problems = outcome.problems
            result.schemaFromCache = outcome.schemaFromCache
            result.checkedSteps = outcome.checkedSteps
            result.duration = duration
        }
        if let error = ending.error {
            result.exitStatus = ExitStatus(error.kind)
            result.message = error.message
        }
        if let signal = ending.interruption {
            (result.exitStatus, result.message) = Self.interruption(signal)
        }
        return result
    }

    /// Runs the preflight on the open targets; nil when a signal ended it.
    func preflight(
        _ sessions: [String: TargetSession], variables: Variables
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
