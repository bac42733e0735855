import FoundationEssentials
import Playbook
import QMP
import Synchronization

/// Every target of a run by name, as it changes (SPEC.md §7.2): the
/// instance that is open, why one is not, and every instance so far.
///
/// The lifecycle (``PlaybookRunner/withOpenTargets(reports:announcingStop:_:recover:)``)
/// fills it with the targets opened at the start; the steps look their target
/// up here (``lookup(_:)``), `start` and `stop` steps change it
/// (``start(_:step:budget:)``, ``stop(_:how:step:budget:)``; `step` is the step's ``Step/reference``), and the end of
/// the run closes what is still open (``closeAll(grace:)``) and reads the
/// report entries from it.
actor TargetRegistry {
    /// How a target's instance is opened: `PlaybookRunner`'s opening, with the timeout cut to at most the given one.
    typealias Opener = @Sendable (TargetSpec, TargetSession.Plan, Duration?) async -> TargetSession.Opening

    /// Why a target has no open instance, for the message of a step that addresses it.
    enum Closed: Sendable {
        /// `autostart: false` and no `start` step has opened it.
        case neverStarted
        /// The target could not be opened at the start of the run (the run is an error already).
        case unreachable
        /// A `stop` step (`step 'NAME' (line N)`) stopped it.
        case stopped(by: String)
        /// A `start` step did not bring it up.
        case startFailed(by: String)
        /// A step told its QEMU to `quit`.
        case quit(by: String)
    }

    /// What a step finds under a target's name.
    enum Lookup: Sendable {
        case open(TargetSession)
        /// Not open; `last` is the last instance's session (its event log can still be read).
        case closed(Closed, last: TargetSession?)
    }

    private struct Entry {
        var spec: TargetSpec
        var plan: TargetSession.Plan?
        /// The open instance (possibly told to `quit`: see ``TargetSession/quitBy``).
        var current: TargetSession?
        /// Why there is no open instance (when `current` is nil).
        var closed: Closed
        /// The Part 1 fields of the report: the last instance's.
        var report: TargetReport
        var instances: [TargetReport.Instance] = []
        /// Every instance's session, in order (their event logs).
        var sessions: [TargetSession] = []
        /// Whether a `start` step is opening it right now.
        var starting = false
    }

    private var entries: [String: Entry] = [:] {
        didSet { publishLookups() }
    }
    /// What ``lookup(_:)`` answers, kept in step with `entries`: every step
    /// looks its target up, and reading it here costs no hop to the actor and back.
    private nonisolated let lookups = Mutex<[String: Lookup]>([:])
    private var order: [String] = []
    /// Launched QEMUs that never answered, to be stopped at the end.
    private var strays: [LaunchedProcess] = []
    /// Openings of `start` steps still running (a step abandoned at its deadline leaves one behind).
    private var openings: [Int: Task<TargetSession.Opening, Never>] = [:]
    private var nextOpening = 0
    private let opener: Opener
    /// The end-of-run grace of `how: quit` (before SIGTERM, and again before SIGKILL).
    nonisolated let grace: Duration

    init(targets: [TargetSpec], reports: [TargetReport], grace: Duration, opener: @escaping Opener) {
        self.opener = opener
        self.grace = grace
        for spec in targets {
            let report = reports.first { $0.name == spec.name } ?? TargetReport(name: spec.name, mode: spec.kind)
            entries[spec.name] = Entry(spec: spec, closed: spec.autostart ? .unreachable : .neverStarted, report: report)
            order.append(spec.name)
        }
        // An initializer's changes to `entries` do not run its didSet.
        let initial = Self.lookups(of: entries)
        lookups.withLock { $0 = initial }
    }

    /// Takes in the plans and the targets opened at the start of the run.
    func adopt(plans: [String: TargetSession.Plan], openings: [TargetSession.Opening], started: Date) {
        for (name, plan) in plans { entries[name]?.plan = plan }
        for opening in openings {
            let name = opening.report.name
            guard entries[name] != nil else { continue }
            entries[name]?.report = opening.report
            entries[name]?.instances.append(Self.instance(of: opening, started: opening.started ?? started))
            if let session = opening.session {
                entries[name]?.current = session
                entries[name]?.sessions.append(session)
            } else if let process = opening.process {
                strays.append(process)
            }
        }
    }

    /// The open sessions by name (the preflight checks these).
    var openSessions: [String: TargetSession] {
        entries.compactMapValues(\.current)
    }

    /// Every instance's session with its target's name, in order of the playbook's targets.
    var allSessions: [(name: String, session: TargetSession)] {
        order.flatMap { name in (entries[name]?.sessions ?? []).map { (name, $0) } }
    }

    /// What a step addressing `name` finds.
    nonisolated func lookup(_ name: String) -> Lookup {
        lookups.withLock { $0[name] } ?? .closed(.unreachable, last: nil)
    }

    private func publishLookups() {
        let current = Self.lookups(of: entries)
        lookups.withLock { $0 = current }
    }

    private static func lookups(of entries: [String: Entry]) -> [String: Lookup] {
        entries.mapValues { entry in
            if let session = entry.current { return .open(session) }
            return .closed(entry.closed, last: entry.sessions.last)
        }
    }

    // MARK: - start

    /// How a `start` step's opening went.
    enum StartOutcome: Sendable {
        /// The target is open already (and was not told to quit).
        case refused(String)
        case opened(TargetSession, TargetReport.Instance)
        /// It did not come up: the report entry says why; `instance` has the exit and output of a launched QEMU.
        case failed(TargetReport, TargetReport.Instance)
    }

    /// Opens target `name` for step `step` within `budget` (and the target's own timeout).
    /// An instance told to `quit` is finished first (its exit recorded).
    func start(_ name: String, step: String, budget: Duration) async -> StartOutcome {
        guard var entry = entries[name] else { return .refused("target \(name) is not defined") }
        if entry.starting { return .refused("target \(name) is being started by an earlier step") }
        guard let plan = entry.plan else { return .refused("target \(name) has no plan (it could not be resolved)") }
        if let current = entry.current {
            guard current.quitBy != nil else {
                let since = entry.instances.count > 1 || !entry.spec.autostart ? "a start step opened it" : "it opened at the start of the run"
                return .refused("target \(name) is already started (\(since)); stop it first")
            }
            entries[name]?.starting = true
            await finish(name, session: current, closed: .quit(by: current.quitBy ?? step), grace: .seconds(2))
            entry = entries[name] ?? entry
        }
        entries[name]?.starting = true
        defer { entries[name]?.starting = false }
        let started = Date()
        let opener = self.opener
        let spec = entry.spec
        let task = Task { await opener(spec, plan, budget) }
        nextOpening += 1
        let id = nextOpening
        openings[id] = task
        let opening = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        openings[id] = nil

        var instance = Self.instance(of: opening, started: started)
        var report = opening.report
        if let session = opening.session {
            entries[name]?.current = session
            entries[name]?.sessions.append(session)
            entries[name]?.report = report
            entries[name]?.instances.append(instance)
            return .opened(session, instance)
        }
        if let process = opening.process {
            // A QEMU that did not answer is stopped now (it has usually exited already).
            let exit = await process.stop(grace: .seconds(1), terminateGrace: .seconds(2))
            instance.exit = exit
            instance.stderrTail = process.outputTail(lines: 200)
            report.process = .init(pid: process.pid, exit: exit, stderrTail: process.outputTail())
        }
        instance.stopped = Date()
        // The step says why it did not start; the target's `error` is for targets unreachable or lost.
        var stored = report
        stored.error = nil
        entries[name]?.report = stored
        entries[name]?.instances.append(instance)
        entries[name]?.closed = .startFailed(by: step)
        return .failed(report, instance)
    }

    // MARK: - stop

    /// How a `stop` step went.
    enum StopOutcome: Sendable {
        /// There was nothing to stop.
        case notOpen(Closed)
        /// Stopped: how the instance ended (`exit` nil for a `connect`/`listen` target).
        case stopped(TargetReport.Instance)
        /// `how: wait` and it did not exit within the budget: still open.
        case stillRunning
    }

    /// Stops target `name`'s open instance for step `step`.
    func stop(_ name: String, how: StopStep.Method, step: String, budget: Duration) async -> StopOutcome {
        guard let entry = entries[name] else { return .notOpen(.unreachable) }
        guard let session = entry.current else { return .notOpen(entry.closed) }
        switch how {
        case .quit:
            if session.process == nil {
                // A connect/listen target's QEMU is told to quit, and left to do so.
                _ = try? await session.monitor.request("quit", timeout: .seconds(2))
            }
            await finish(name, session: session, closed: .stopped(by: step), grace: grace)
        case .kill:
            if let process = session.process {
                // The whole group, as the end-of-run sequence signals it (a wrapper and its QEMU).
                process.sendToGroup(signal: System.signalKill)
                _ = await process.waitForExit(timeout: .seconds(5))
            }
            await finish(name, session: session, closed: .stopped(by: step), grace: .seconds(2))
        case .wait:
            if let process = session.process {
                guard await process.waitForExit(timeout: budget) != nil else { return .stillRunning }
            } else {
                guard await session.waitUntilDisconnected(timeout: budget) else { return .stillRunning }
            }
            await finish(name, session: session, closed: .stopped(by: step), grace: .seconds(2))
        }
        return .stopped(entries[name]?.instances.last ?? TargetReport.Instance(started: Date()))
    }

    /// Closes `session` (the end-of-run sequence with `grace`; at once when its QEMU has exited),
    /// and records how its instance ended.
    private func finish(_ name: String, session: TargetSession, closed: Closed, grace: Duration) async {
        await session.close(grace: grace, expectingExit: true)
        guard var entry = entries[name], entry.current === session else { return }
        entry.report = await session.report(base: entry.report)
        if var last = entry.instances.popLast() {
            last.stopped = Date()
            last.exit = session.process?.exit
            last.stderrTail = session.process?.outputTail()
            entry.instances.append(last)
        }
        entry.current = nil
        entry.closed = closed
        entries[name] = entry
    }

    // MARK: - the end of the run

    /// Closes every open instance (the end-of-run sequence with `grace`) and
    /// stops the launched QEMUs that never answered, all at once; cancels
    /// openings still running first.
    func closeAll(grace: Duration) async {
        for task in openings.values { task.cancel() }
        for task in openings.values {
            let opening = await task.value
            if let session = opening.session {
                await session.close(grace: grace)
            } else if let process = opening.process {
                strays.append(process)
            }
        }
        openings = [:]
        let open = entries.compactMap { name, entry in entry.current.map { (name, $0) } }
        let strays = self.strays
        await withTaskGroup(of: Void.self) { group in
            for (_, session) in open { group.addTask { await session.close(grace: grace) } }
            for process in strays { group.addTask { await process.stop(grace: grace, terminateGrace: grace) } }
        }
        for (name, session) in open {
            guard var entry = entries[name] else { continue }
            entry.report = await session.report(base: entry.report)
            if var last = entry.instances.popLast() {
                last.exit = session.process?.exit
                last.stderrTail = session.process?.outputTail()
                entry.instances.append(last)
            }
            entries[name] = entry
        }
        for process in strays {
            for name in order where entries[name]?.report.process?.pid == process.pid {
                entries[name]?.report.process = .init(pid: process.pid, exit: process.exit, stderrTail: process.outputTail())
                if var last = entries[name]?.instances.popLast() {
                    last.exit = process.exit
                    last.stderrTail = process.outputTail()
                    last.stopped = last.stopped ?? Date()
                    entries[name]?.instances.append(last)
                }
            }
        }
        self.strays = []
    }

    /// Every target's report entry (the last instance's fields, and every instance), in the playbook's order.
    var reports: [TargetReport] {
        order.compactMap { name in
            guard let entry = entries[name] else { return nil }
            var report = entry.report
            report.instances = entry.instances
            return report
        }
    }

    /// An instance as an opening left it (pid, QEMU version; exit when it did not answer).
    private static func instance(of opening: TargetSession.Opening, started: Date) -> TargetReport.Instance {
        var instance = TargetReport.Instance(
            pid: opening.process?.pid, started: started, qemu: opening.session == nil ? nil : opening.report.qemu)
        if opening.session == nil, let process = opening.process {
            instance.exit = process.exit
            instance.stderrTail = process.outputTail()
            instance.stopped = Date()
        }
        return instance
    }
}
