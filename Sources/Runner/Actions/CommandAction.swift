import FoundationEssentials
import Playbook
import QMP

/// A `command` step (SPEC.md §7.1) with every template resolved: what to run,
/// and what its result must match. It runs on the host and needs no target.
struct CommandAction: StepActionRunner, FramedAction {
    var command: HostCommand
    var checks: ProgramChecks
    var frame: StepFrame

    /// At its deadline a command gets SIGTERM, 2s, SIGKILL: room to report how it ended.
    var slack: Duration { .seconds(4) }

    /// Resolves argv, env, cwd (relative folders are the playbook's) and stdin.
    init(_ definition: CommandStep, in context: ActionContext) throws(StepPreparationError) {
        var argv: [String] = []
        for (index, element) in definition.argv.enumerated() {
            argv.append(try context.text(element, "command argument \(index)"))
        }
        var command = HostCommand(argv)
        for (name, value) in definition.environment {
            command.environment[name] = try context.text(value, "command.env.\(name)")
        }
        command.directory = context.playbookDirectory
        if let value = definition.directory { command.directory = context.path(try context.text(value, "command.cwd")) }
        if let value = definition.input { command.input = Array(try context.text(value, "command.stdin").utf8) }
        self.command = command
        checks = try ProgramChecks(
            expect: definition.expect?.pattern, until: definition.until, interval: definition.interval, in: context)
        frame = context.frame
    }

    /// `{"command": [argv…], "cwd": …}`, the step's `request` in the report.
    var request: JSONValue {
        ["command": .array(command.arguments.map(JSONValue.string)), "cwd": command.directory.map(JSONValue.string) ?? .null]
    }

    /// Runs the program (again and again for `until`) within the budget; never throws.
    func run() async -> StepResult {
        let deadline = ContinuousClock.now + budget
        var schedule = PollSchedule(deadline: deadline, interval: checks.interval)
        var result = StepResult(.passed)
        result.request = request
        result.sentAt = Date()
        var attempts = 0
        while true {
            attempts += 1
            result.attempts = attempts
            var attempt = command
            attempt.timeout = max(deadline - ContinuousClock.now, .milliseconds(1))
            let ran: HostCommandResult
            do {
                ran = try await attempt.run()
            } catch {
                result.status = .failed
                result.message = error.message
                return result
            }
            result.response = ran.reportValue
            result.registered = ran.value
            switch ran.ending {
            case .timedOut?:
                result.status = .timeout
                result.message = "the command did not finish within \(describe(budget)) (\(attempts == 1 ? "" : "attempt \(attempts); "))its process group was ended: it \(ran.exit)"
                    + detail(ran)
                return result
            case .cancelled?:
                result.status = .error
                result.message = "interrupted: the command's process group was ended"
                return result
            case nil:
                break
            }
            guard await checks.judgeAndWait(
                ran.value, ended: "the command \(ran.exit)", subject: "the command's result", detail: detail(ran),
                attempts: attempts, frame: frame, schedule: &schedule, into: &result) else { return result }
        }
    }

    /// `; stderr: …` (its last line or two), or nothing.
    private func detail(_ ran: HostCommandResult) -> String {
        guard !redact else { return "" }
        let text = String(decoding: ran.standardError.suffix(400), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(2)
        return lines.isEmpty ? "" : "; stderr: " + lines.joined(separator: " | ")
    }
}
