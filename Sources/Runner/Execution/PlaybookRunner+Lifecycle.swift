import FoundationEssentials
import Libvirt
import Playbook
import QMP

extension PlaybookRunner {
    /// What a run's body works with once its targets are open.
    struct Setup {
        /// The run directory; nil only when it could not be created.
        var folder: RunDirectory?
        /// The playbook's variables with `--var` and the built-ins (`run.dir` once there is a folder).
        var variables: Variables
        /// The targets as they opened at the start: sessions, strays, every opening.
        var opened = OpenedTargets()
        /// The targets as the steps change them (`start`, `stop`), shared by the steps and the teardown.
        var registry: TargetRegistry

        /// The sessions opened at the start of the run.
        var sessions: [String: TargetSession] { opened.sessions }

        /// Where the steps run: the reader thread of the one QMP socket of
        /// a one-target run (``QMP/ConnectionExecutor``), so that a reply
        /// resumes its step on the thread that read it and each `execute`
        /// step wakes one thread rather than two; nil (the cooperative pool)
        /// when several targets opened at the start, or a libvirt one did.
        /// Nothing a step does blocks the thread it runs on (host commands,
        /// file opens, launched QEMUs and libvirt calls have threads of their
        /// own), so the connection is read between steps as before. When that
        /// connection closes (a `stop` step, a QEMU that exits), the steps go
        /// on on the pool.
        var stepExecutor: (any TaskExecutor)? {
            guard sessions.count == 1, let monitor = sessions.first?.value.monitor as? SocketMonitor else { return nil }
            return monitor.executor
        }
    }

    /// How the lifecycle ended, after the teardown.
    struct Ending {
        /// What the setup or the body threw, if anything.
        var error: RunnerError?
        /// The first signal that arrived (``interrupt(signal:)``), if any.
        var interruption: Int32?
        /// Every instance's session with its target's name (closed by now; their event logs are still there).
        var sessions: [(name: String, session: TargetSession)]
    }

    /// The one lifecycle of ``run()`` and ``preflightOnly()``: creates the
    /// run directory, resolves the variables, opens every target (each
    /// opening written into `reports`), runs `body`; when the setup or
    /// `body` throws, `recover` runs with what is up. Then, whatever
    /// happened: the targets are closed (a launched QEMU: `quit`, grace,
    /// SIGTERM, SIGKILL; after a signal the waits are at most 2 s), host
    /// commands still running are killed, what each target ended with is
    /// written into `reports`, and the run directory is removed (or kept, with
    /// a note, for `keepRunDirectory`).
    func withOpenTargets(
        reports: inout [TargetReport],
        announcingStop: Bool = false,
        _ body: (Setup) async throws(RunnerError) -> Void,
        recover: (RunnerError, Setup) async -> Void = { _, _ in }
    ) async -> Ending {
        let registry = TargetRegistry(
            targets: playbook.targets, reports: reports, grace: options.shutdownGrace, opener: opener())
        var setup = Setup(variables: variables(runDirectory: nil), registry: registry)
        var failure: RunnerError?
        let commands = HostCommandGroups()
        do throws(RunnerError) {
            let folder = try RunDirectory()
            setup.folder = folder
            setup.variables = variables(runDirectory: folder.path)
            let started = Date()
            setup.opened = try await openTargets(variables: setup.variables, folder: folder, control: control)
            setup.opened.update(&reports)
            await registry.adopt(plans: setup.opened.plans, openings: setup.opened.openings, started: started)
            let opened = setup
            let outcome = await HostCommand.$runGroups.withValue(commands) { () async -> Swift.Result<Void, RunnerError> in
                do throws(RunnerError) {
                    return .success(try await body(opened))
                } catch {
                    return .failure(error)
                }
            }
            try outcome.get()
        } catch {
            failure = error
            await recover(error, setup)
        }

        let open = await registry.openSessions
        let interruption = control.interruption
        let grace = interruption == nil ? options.shutdownGrace : min(options.shutdownGrace, .seconds(2))
        if announcingStop, !open.isEmpty {
            observer.note("stopping \(open.count.counted("target"))")
        }
        await registry.closeAll(grace: grace)
        reports = await registry.reports
        let sessions = await registry.allSessions
        commands.killAll()
        if let folder = setup.folder {
            if options.keepRunDirectory {
                observer.note("run directory kept: \(folder.path)", evenWhenQuiet: true)
            } else {
                folder.remove()
            }
        }
        return Ending(error: failure, interruption: interruption, sessions: sessions)
    }

    /// The variables of the run: the playbook's, `--var`, and the built-ins.
    func variables(runDirectory: String?) -> Variables {
        Variables(
            vars: playbook.vars, overrides: options.variables, playbookDirectory: playbook.directory,
            runDirectory: runDirectory, runID: runID, runStarted: runStarted)
    }

    /// Every target's entry in the report before it opens: its name and mode.
    var initialTargetReports: [TargetReport] {
        playbook.targets.map { target in
            TargetReport(name: target.name, mode: options.targetOverrides[target.name].map {
                LibvirtAddress.isLibvirt($0) ? .libvirt : .connect
            } ?? target.kind)
        }
    }

    /// How an interruption is written: `interrupted by SIGINT`, exit 128 + N.
    static func interruption(_ signal: Int32) -> (status: ExitStatus, message: String) {
        (.interrupted(signal: signal), "interrupted by \(ExitStatus.name(ofSignal: signal))")
    }
}
