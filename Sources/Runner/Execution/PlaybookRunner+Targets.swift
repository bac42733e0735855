import Playbook
import Synchronization

extension PlaybookRunner {
    /// The targets of a run after opening them: the sessions that answered,
    /// launched processes that never did, and what each opening reported.
    struct OpenedTargets {
        var sessions: [String: TargetSession] = [:]
        /// How to reach each target, `autostart: false` ones included (their `start` steps use it).
        var plans: [String: TargetSession.Plan] = [:]
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

    /// Plans every target (templates resolved with `variables`) and opens the
    /// ones without `autostart: false` all at once, for
    /// ``withOpenTargets(reports:announcingStop:_:recover:)``.
    /// - Throws: ``RunnerError`` when a target's definition cannot be planned
    ///   (nothing is opened then); a target that fails to open is an opening
    ///   without a session, not an error.
    func openTargets(
        variables: Variables, folder: RunDirectory, control: RunControl
    ) async throws(RunnerError) -> OpenedTargets {
        var plans: [(TargetSpec, TargetSession.Plan)] = []
        var byName: [String: TargetSession.Plan] = [:]
        for target in playbook.targets {
            let plan = try plan(for: target, variables: variables, folder: folder)
            byName[target.name] = plan
            if target.autostart { plans.append((target, plan)) }
        }
        let frozenPlans = plans
        let redactedEvents = redactedEventKeys
        let observer = self.observer
        let openings = await control.phase(.startup) {
            await Self.open(
                frozenPlans, options: self.options, observer: observer, redactedEvents: redactedEvents,
                deadline: self.deadline.withLock { $0?.end })
        }
        var opened = OpenedTargets(plans: byName, openings: openings ?? [])
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
}
