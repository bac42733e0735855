import Playbook
import Synchronization

extension PlaybookRunner {
    /// The targets of a run after opening them: the sessions that answered,
    /// launched processes that never did, and what each opening reported.
    struct OpenedTargets {
        var sessions: [String: TargetSession] = [:]
        var strays: [LaunchedProcess] = []
        /// Every opening, in the order they finished; empty when a signal ended the startup.
        var openings: [TargetSession.Opening] = []

        /// Writes each opening's report over the target's entry in `reports`.
        func update(_ reports: inout [TargetReport]) {
            for opening in openings {
                if let index = reports.firstIndex(where: { $0.name == opening.report.name }) {
                    reports[index] = opening.report
                }
            }
        }
    }

    /// Plans every target (templates resolved with `variables`) and opens them
    /// all at once, for ``withOpenTargets(reports:announcingStop:_:recover:)``.
    /// - Throws: ``RunnerError`` when a target's definition cannot be planned
    ///   (nothing is opened then); a target that fails to open is an opening
    ///   without a session, not an error.
    func openTargets(
        variables: Variables, folder: RunDirectory, control: RunControl
    ) async throws(RunnerError) -> OpenedTargets {
        var plans: [(TargetSpec, TargetSession.Plan)] = []
        for target in playbook.targets {
            plans.append((target, try plan(for: target, variables: variables, folder: folder)))
        }
        let frozenPlans = plans
        let redactedEvents = redactedEventKeys
        let observer = self.observer
        let openings = await control.phase(.startup) {
            await Self.open(
                frozenPlans, options: self.options, observer: observer, redactedEvents: redactedEvents,
                deadline: self.deadline.withLock { $0?.end })
        }
        var opened = OpenedTargets(openings: openings ?? [])
        for opening in opened.openings {
            if let session = opening.session {
                opened.sessions[session.name] = session
            } else if let process = opening.process {
                opened.strays.append(process)
            }
        }
        return opened
    }

    /// `TARGET/NAME` for every event a `redact: true` wait-event step waits
    /// for: such an event's data is hidden wherever it is shown as it arrives.
    var redactedEventKeys: Set<String> {
        var keys: Set<String> = []
        for step in playbook.allSteps where step.redact {
            guard case .waitEvent(let wait) = step.action, let target = step.target else { continue }
            for name in wait.events { keys.insert("\(target)/\(name)") }
        }
        return keys
    }

    /// Closes every session (a launched QEMU: `quit`, grace, SIGTERM, SIGKILL;
    /// a connected one: just the socket) and stops launched processes that
    /// never answered, all at once; then writes what each ended with into `reports`.
    static func closeTargets(
        sessions: [String: TargetSession], strays: [LaunchedProcess], grace: Duration, reports: inout [TargetReport]
    ) async {
        await withTaskGroup(of: Void.self) { group in
            for session in sessions.values { group.addTask { await session.close(grace: grace) } }
            for process in strays { group.addTask { await process.stop(grace: grace, terminateGrace: grace) } }
        }
        for (name, session) in sessions {
            if let index = reports.firstIndex(where: { $0.name == name }) {
                reports[index] = await session.report(base: reports[index])
            }
        }
        for process in strays {
            if let index = reports.firstIndex(where: { $0.process?.pid == process.pid }) {
                reports[index].process = .init(pid: process.pid, exit: process.exit, stderrTail: process.outputTail())
            }
        }
    }
}
