import FoundationEssentials
import Playbook
import QMP

/// An `execute` step (and an `hmp` step, which is `human-monitor-command`,
/// and an `agent` step, the same to the target's guest agent):
/// sends the command, with a file by SCM_RIGHTS when it has `fd`, polls it
/// for `until`, and judges the reply against `expect`.
struct ExecuteAction: StepActionRunner, FramedAction {
    /// What the reply must be: a value matching `expect.return`, or an error matching `expect.error`.
    enum Expectation: Sendable {
        case returns(Pattern)
        case fails(Pattern)
    }

    var command: String
    var arguments: JSONObject?
    var fd: FileDescriptorPlan?
    var expect: Expectation?
    var until: Pattern?
    var interval: Duration
    var target: TargetSession
    var observer: any RunObserver
    /// The step (the target remembers which step told its QEMU to quit).
    var frame: StepFrame
    /// Whether this command makes QEMU exit (`quit`, or HMP `quit`/`q`): the target is closed after it, not lost.
    var quits: Bool
    /// Where the command goes: the target's QMP monitor, or its guest agent.
    var monitor: any Monitor
    /// Set for an `agent` step: the first one waits until the agent answers.
    var agent: GuestChannelUse?
    /// Who answers, for messages: `vm`, or `the guest agent of vm`.
    var peer: String { agent == nil ? target.name : "the guest agent of \(target.name)" }

    /// Guest agent commands without a reply on success (`'success-response': false` in qemu-ga's schema).
    static let silentAgentCommands: Set<String> = ["guest-shutdown", "guest-suspend-disk", "guest-suspend-ram", "guest-suspend-hybrid"]

    init(_ definition: ExecuteStep, in context: ActionContext) throws(StepPreparationError) {
        target = try context.requireTarget()
        command = try context.name(definition.command, "execute")
        interval = definition.interval ?? .seconds(1)
        observer = context.observer
        frame = context.frame
        quits = definition.command == "quit"
        monitor = target.monitor
        if let written = definition.arguments {
            guard case .object(let object) = try context.resolve(.object(written), "arguments") else {
                throw StepPreparationError(message: "arguments must be a map")
            }
            arguments = object
        }
        if let spec = definition.fd {
            let path = context.path(try context.text(spec.path, "fd.path"))
            fd = FileDescriptorPlan(path: path, mode: spec.mode, create: spec.create, permissions: spec.permissions)
        }
        switch definition.expect {
        case .return(let value)?: expect = try context.pattern(value, "expect.return").map(Expectation.returns)
        case .error(let value)?: expect = try context.pattern(value, "expect.error").map(Expectation.fails)
        case nil: break
        }
        until = try context.pattern(definition.until, "until")
    }

    /// An `hmp` step: `human-monitor-command` with the line as `command-line`.
    init(hmp line: JSONValue, in context: ActionContext) throws(StepPreparationError) {
        target = try context.requireTarget()
        command = "human-monitor-command"
        let text = try context.text(line, "hmp")
        arguments = ["command-line": .string(text)]
        interval = .seconds(1)
        observer = context.observer
        frame = context.frame
        quits = ["quit", "q"].contains(text.trimmingWhitespace())
        monitor = target.monitor
    }

    /// An `agent` step: `definition` sent to the target's guest agent.
    init(agent definition: ExecuteStep, in context: ActionContext) throws(StepPreparationError) {
        try self.init(definition, in: context)
        let use = try GuestChannelUse(agentOf: target, in: context)
        agent = use
        quits = false
        monitor = use.link.agent
    }

    /// A plain command on a QMP socket: one engine request, bounded by its
    /// timeout (the step's budget) and ended by cancellation. A file to open,
    /// polling, the guest agent and libvirt (whose calls block a thread of
    /// their own) keep the runner's race.
    var boundsItself: Bool {
        fd == nil && until == nil && agent == nil && monitor is SocketMonitor
    }

    func run() async -> StepResult {
        let deadline = ContinuousClock.now + budget
        var schedule = PollSchedule(deadline: deadline, interval: interval)
        var request: JSONObject = ["execute": .string(command)]
        if let arguments { request["arguments"] = .object(arguments) }
        if let fd { request["fd"] = fd.json }
        var result = StepResult(.passed)
        result.request = .object(request)
        var attempts = 0
        var reply: Reply
        // The reply as QMP wrote it, made once for the observer and the report.
        var json = JSONValue.null
        var lastMismatch: String?
        if let agent, let failed = await agent.prepare(until: deadline, budget: budget) {
            result.status = failed.status
            result.message = failed.message
            return result
        }
        while true {
            attempts += 1
            result.attempts = attempts
            var file: OpenedFile?
            if let fd {
                let opening = await fd.open(within: max(deadline - ContinuousClock.now, .milliseconds(1)))
                switch opening {
                case .opened(let opened):
                    file = opened
                case .failed(let error):
                    result.status = .failed
                    result.message = "cannot open \(fd.path) for fd: \(error)"
                    return result
                case .blocked:
                    if Task.isCancelled { return result }
                    let (way, other) = fd.mode == .read ? ("writing", "writer") : ("reading", "reader")
                    result.status = .timeout
                    result.message = "opening \(fd.path) for fd blocked for \(describe(budget)): "
                        + "nothing has opened it for \(way) (a FIFO without a \(other)); nothing was sent"
                    return result
                }
            }
            if result.sentAt == nil { result.sentAt = Date() }
            var shown = request
            if redact, shown["arguments"] != nil { shown["arguments"] = StepReport.redacted }
            observer.requestSent(.object(shown), target: target.name)
            var remaining = max(deadline - ContinuousClock.now, .milliseconds(1))
            let silent = agent != nil && Self.silentAgentCommands.contains(command)
            // A command the agent does not answer on success: only an error comes back, at once.
            if silent { remaining = min(remaining, .seconds(1)) }
            do {
                reply = try await monitor.request(
                    command, arguments: arguments, passing: file?.descriptor, timeout: remaining)
                file?.close()
            } catch {
                file?.close()
                if silent, error.code == .timeout {
                    result.message = "\(command) sends no reply when it succeeds; none came within \(describe(remaining))"
                    return result
                }
                if silent, error.code == .connectionClosed || error.code == .peerExited {
                    // The guest went down (or QEMU exited) before the wait for an error ended: what was asked.
                    result.message = "\(command) sends no reply when it succeeds; the agent's channel closed instead"
                    return result
                }
                if until != nil, error.code == .timeout {
                    // The poll ran out of time while waiting for a reply.
                    result.status = .timeout
                    let detail = redact || lastMismatch == nil ? "" : "; the last reply: \(lastMismatch ?? "")"
                    result.message = untilMessage(attempts: attempts)
                        + "; the last attempt got no reply" + detail
                    return result
                }
                return await failure(error, into: result)
            }
            json = reply.json
            observer.replyReceived(redact ? StepReport.redacted : json, target: target.name)
            if quits, case .success = reply { target.markQuit(by: frame.reference) }
            guard let until = until else { break }
            if case .success(let value) = reply {
                lastMismatch = until.mismatch(in: value)
                if lastMismatch == nil { break }
            } else if case .failure(let error) = reply {
                lastMismatch = "it failed with \(error.errorClass): \(error.description)"
            }
            guard let pause = schedule.pause() else {
                result.status = .timeout
                result.response = json
                result.registered = json
                let detail = redact ? "" : "; last time \(lastMismatch ?? "it did not match")"
                result.message = untilMessage(attempts: attempts) + detail
                return result
            }
            try? await Task.sleep(for: pause)
            if Task.isCancelled { return result }
        }
        result.response = json
        result.registered = json
        judge(reply, into: &result)
        return result
    }

    private func untilMessage(attempts: Int) -> String {
        "\(command) did not return a value matching until within \(describe(budget))"
            + " (\(attempts.counted("attempt")))"
    }

    /// Sets the status and message from the reply and the step's `expect`.
    private func judge(_ reply: Reply, into result: inout StepResult) {
        switch reply {
        case .success(let value):
            if case .fails(let wanted)? = expect {
                result.status = .failed
                result.message = redact
                    ? "\(command) succeeded, but an error was expected"
                    : "\(command) succeeded, but expect.error wanted an error matching \(wanted.source.jsonText)"
            } else if case .returns(let wanted)? = expect, let mismatch = wanted.mismatch(in: value) {
                result.status = .failed
                result.message = redact
                    ? "\(command) returned a value that does not match expect.return"
                    : "\(command) returned \(StepText.shorten(value.jsonText)), which does not match expect.return: \(mismatch)"
            }
        case .failure(let error):
            let errorValue: JSONValue = ["class": .string(error.errorClass), "desc": .string(error.description)]
            // QEMU's error texts often repeat an argument ("… 'hunter2' …"): a redacted step's are scrubbed.
            let description = redact ? StepText.scrub(error.description, removing: arguments.map { .object($0) }) : error.description
            if case .fails(let wanted)? = expect {
                if let mismatch = wanted.mismatch(in: errorValue) {
                    result.status = .failed
                    result.message = "\(command) failed with \(error.errorClass): \(description),"
                        + (redact ? " which does not match expect.error" : " which does not match expect.error: \(mismatch)")
                }
            } else {
                result.status = .failed
                result.message = "\(command) failed: \(error.errorClass): \(description)"
            }
        }
    }

    /// The result of a command that got no reply: a timeout, or a lost target.
    private func failure(_ error: QMPError, into result: StepResult) async -> StepResult {
        var result = result
        if agent != nil, [.connectionClosed, .peerExited, .malformed, .messageTooLarge].contains(error.code) {
            result.status = .error
            result.message = "the guest agent channel of \(target.name) closed during \(command): \(error.message)"
            return result
        }
        switch error.code {
        case .timeout:
            result.status = .timeout
            result.message = "\(command) got no reply from \(peer) within \(describe(budget))"
        case .connectionClosed where quits, .peerExited where quits:
            // QEMU went before its reply to quit reached us: it did what it was told.
            target.markQuit(by: frame.reference)
            result.status = .passed
            result.message = "\(target.name) closed the connection before replying to \(command)"
        case .connectionClosed, .peerExited, .malformed, .messageTooLarge:
            result.status = .error
            result.message = "target \(target.name) was lost during \(command): \(await target.lossReason())"
        case .cancelled:
            result.status = .error
            result.message = "\(command) was cancelled"
        default:
            result.status = .failed
            result.message = "\(command) could not be sent to \(peer): \(error.message)"
        }
        return result
    }
}
