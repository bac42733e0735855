import FoundationEssentials
import Playbook
import QMP

/// A `guest-exec` step (SPEC.md §9): a program run in the guest by the agent
/// (`guest-exec` with captured output, polled with `guest-exec-status` until
/// it exits), judged like a `command` step: `{exit, signal, stdout, stderr, json}`.
struct GuestExecAction: StepActionRunner, FramedAction {
    var argv: [String]
    var environment: [String]
    var input: String?
    var checks: ProgramChecks
    var frame: StepFrame
    var use: GuestChannelUse
    var target: TargetSession
    var observer: any RunObserver

    /// The first `guest-exec-status` polls come quickly (most programs end at once), then every 100 ms.
    private static let firstPolls: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50)]

    init(_ definition: GuestExecStep, in context: ActionContext) throws(StepPreparationError) {
        target = try context.requireTarget()
        use = try GuestChannelUse(agentOf: target, in: context)
        var argv: [String] = []
        for (index, element) in definition.argv.enumerated() {
            argv.append(try context.text(element, "guest-exec argument \(index)"))
        }
        self.argv = argv
        var environment: [String] = []
        for (name, value) in definition.environment.sorted(by: { $0.key < $1.key }) {
            environment.append("\(name)=\(try context.text(value, "guest-exec.env.\(name)"))")
        }
        self.environment = environment
        input = try definition.input.map { value throws(StepPreparationError) in try context.text(value, "guest-exec.input") }
        checks = try ProgramChecks(
            expect: definition.expect?.pattern, until: definition.until, interval: definition.interval, in: context)
        frame = context.frame
        observer = context.observer
    }

    /// The `guest-exec` arguments.
    var arguments: JSONObject {
        var arguments: JSONObject = ["path": .string(argv[0]), "capture-output": true]
        if argv.count > 1 { arguments["arg"] = .array(argv.dropFirst().map(JSONValue.string)) }
        if !environment.isEmpty { arguments["env"] = .array(environment.map(JSONValue.string)) }
        if let input { arguments["input-data"] = .string(Data(input.utf8).base64EncodedString()) }
        return arguments
    }

    func run() async -> StepResult {
        let deadline = ContinuousClock.now + budget
        var result = StepResult(.passed)
        result.request = ["execute": "guest-exec", "arguments": .object(arguments)]
        if let failed = await use.prepare(until: deadline, budget: budget) { return failed }
        var schedule = PollSchedule(deadline: deadline, interval: checks.interval)
        var attempts = 0
        while true {
            attempts += 1
            result.attempts = attempts
            if result.sentAt == nil { result.sentAt = Date() }
            let ran: Ran
            switch await runOnce(until: deadline) {
            case .success(let value): ran = value
            case .failure(let failed):
                result.status = failed.status
                result.message = failed.message
                return result
            }
            result.response = ran.report
            result.registered = ran.value
            guard await checks.judgeAndWait(
                ran.value, ended: "\(argv[0]) \(ran.exit) in the guest", subject: "the guest program's result", detail: detail(ran),
                attempts: attempts, frame: frame, schedule: &schedule, into: &result) else { return result }
        }
    }

    /// What one run in the guest gave.
    struct Ran: Sendable {
        var pid: Int64
        var exit: ProcessExit
        var stdout: [UInt8]
        var stderr: [UInt8]
        var stdoutTruncated: Bool
        var stderrTruncated: Bool

        var value: JSONValue {
            let json: JSONValue = stdoutTruncated ? .null : ((try? JSONValue(parsing: stdout)) ?? .null)
            return [
                "exit": exit.status.map { .int(Int64($0)) } ?? .null,
                "signal": exit.signalName.map { .string($0) } ?? .null,
                "stdout": .string(String(decoding: stdout, as: UTF8.self)),
                "stderr": .string(String(decoding: stderr, as: UTF8.self)),
                "json": json,
            ]
        }

        var report: JSONValue {
            guard case .object(var object) = value else { return value }
            object["pid"] = .int(pid)
            object["stdout_truncated"] = .bool(stdoutTruncated)
            object["stderr_truncated"] = .bool(stderrTruncated)
            return .object(object)
        }
    }

    struct Failure: Error {
        var status: StepStatus
        var message: String
    }

    /// `guest-exec`, then `guest-exec-status` until the program exited, by `deadline`.
    private func runOnce(until deadline: ContinuousClock.Instant) async -> Result<Ran, Failure> {
        let agent = use.link.agent
        let started: JSONValue
        switch await call(agent, "guest-exec", arguments, until: deadline) {
        case .success(let value): started = value
        case .failure(let failure): return .failure(failure)
        }
        guard let pid = started["pid"]?.intValue else {
            return .failure(Failure(status: .failed, message: "guest-exec returned no pid: \(StepText.shorten(started.jsonText))"))
        }
        var polls = 0
        while true {
            let status: JSONValue
            switch await call(agent, "guest-exec-status", ["pid": .int(pid)], until: deadline) {
            case .success(let value): status = value
            case .failure(var failure):
                if failure.status == .timeout {
                    failure.message = "\(argv[0]) did not finish in the guest within \(describe(budget)) (it may still run there as pid \(pid))"
                }
                return .failure(failure)
            }
            if status["exited"] == .bool(true) {
                let exit: ProcessExit
                if let signal = status["signal"]?.intValue {
                    exit = .signaled(Int32(truncatingIfNeeded: signal))
                } else {
                    exit = .exited(Int32(truncatingIfNeeded: status["exitcode"]?.intValue ?? 0))
                }
                return .success(Ran(
                    pid: pid, exit: exit, stdout: Self.decode(status["out-data"]), stderr: Self.decode(status["err-data"]),
                    stdoutTruncated: status["out-truncated"] == .bool(true), stderrTruncated: status["err-truncated"] == .bool(true)))
            }
            let pause = polls < Self.firstPolls.count ? Self.firstPolls[polls] : .milliseconds(100)
            polls += 1
            if ContinuousClock.now + pause >= deadline {
                return .failure(Failure(status: .timeout,
                    message: "\(argv[0]) did not finish in the guest within \(describe(budget)) (it may still run there as pid \(pid))"))
            }
            try? await Task.sleep(for: pause)
            if Task.isCancelled { return .failure(Failure(status: .error, message: "interrupted")) }
        }
    }

    private func call(_ agent: GuestAgent, _ command: String, _ arguments: JSONObject, until deadline: ContinuousClock.Instant) async -> Result<JSONValue, Failure> {
        observer.requestSent(["execute": .string(command), "arguments": redact ? StepReport.redacted : .object(arguments)], target: target.name)
        do throws(QMPError) {
            let reply = try await agent.request(command, arguments: arguments, passing: nil,
                                                timeout: max(deadline - ContinuousClock.now, .milliseconds(1)))
            observer.replyReceived(redact ? StepReport.redacted : reply.json, target: target.name)
            switch reply {
            case .success(let value): return .success(value)
            case .failure(let error):
                return .failure(Failure(status: .failed, message: "\(command) failed in the guest agent of \(target.name): \(error.errorClass): \(error.description)"))
            }
        } catch {
            switch error.code {
            case .timeout:
                return .failure(Failure(status: .timeout, message: "\(command) got no reply from the guest agent of \(target.name) within \(describe(budget))"))
            case .cancelled:
                return .failure(Failure(status: .error, message: "interrupted"))
            default:
                return .failure(Failure(status: .error, message: "the guest agent channel of \(target.name) failed during \(command): \(error.message)"))
            }
        }
    }

    private static func decode(_ value: JSONValue?) -> [UInt8] {
        guard let text = value?.stringValue, let data = Data(base64Encoded: text) else { return [] }
        return Array(data)
    }

    /// `; stderr: …` (its last line or two), or nothing.
    private func detail(_ ran: Ran) -> String {
        guard !redact else { return "" }
        let text = String(decoding: ran.stderr.suffix(400), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(2)
        return lines.isEmpty ? "" : "; stderr: " + lines.joined(separator: " | ")
    }
}
