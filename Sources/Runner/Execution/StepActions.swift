import Foundation
import Playbook
import QMP

/// The actions of steps, each run against one target within a time budget.
/// Failures are results; nothing here throws.
enum StepActions {
    static func execute(
        _ plan: ExecutePlan, on target: TargetSession, budget: Duration, observer: any RunObserver
    ) async -> StepResult {
        let deadline = ContinuousClock.now + budget
        var request: JSONObject = ["execute": .string(plan.command)]
        if let arguments = plan.arguments { request["arguments"] = .object(arguments) }
        if let fd = plan.fd { request["fd"] = fd.json }
        var result = StepResult(.passed)
        result.request = .object(request)
        var attempts = 0
        var reply: Reply
        var lastMismatch: String?
        while true {
            attempts += 1
            result.attempts = attempts
            var file: OpenedFile?
            if let fd = plan.fd {
                switch fd.open() {
                case .success(let opened):
                    file = opened
                case .failure(let error):
                    result.status = .failed
                    result.message = "cannot open \(fd.path) for fd: \(error)"
                    return result
                }
            }
            if result.sentAt == nil { result.sentAt = Date() }
            var shown = request
            if plan.redact, shown["arguments"] != nil { shown["arguments"] = StepReport.redacted }
            observer.requestSent(.object(shown), target: target.name)
            let remaining = max(deadline - ContinuousClock.now, .milliseconds(1))
            do {
                reply = try await target.monitor.request(
                    plan.command, arguments: plan.arguments, passing: file?.descriptor, timeout: remaining)
                file?.close()
            } catch {
                file?.close()
                if plan.until != nil, error.code == .timeout {
                    // The poll ran out of time while waiting for a reply.
                    result.status = .timeout
                    let detail = plan.redact || lastMismatch == nil ? "" : "; the last reply: \(lastMismatch ?? "")"
                    result.message = untilMessage(plan, budget: budget, attempts: attempts)
                        + "; the last attempt got no reply" + detail
                    return result
                }
                return await failure(of: plan.command, error, on: target, budget: budget, into: result)
            }
            observer.replyReceived(plan.redact ? StepReport.redacted : reply.json, target: target.name)
            guard let until = plan.until else { break }
            if case .success(let value) = reply {
                lastMismatch = until.mismatch(in: value)
                if lastMismatch == nil { break }
            } else if case .failure(let error) = reply {
                lastMismatch = "it failed with \(error.errorClass): \(error.description)"
            }
            if ContinuousClock.now + plan.interval >= deadline {
                result.status = .timeout
                result.response = reply.json
                result.registered = reply.json
                let detail = plan.redact ? "" : "; last time \(lastMismatch ?? "it did not match")"
                result.message = untilMessage(plan, budget: budget, attempts: attempts) + detail
                return result
            }
            try? await Task.sleep(for: plan.interval)
            if Task.isCancelled { return result }
        }
        result.response = reply.json
        result.registered = result.response
        judge(reply, plan: plan, into: &result)
        return result
    }

    private static func untilMessage(_ plan: ExecutePlan, budget: Duration, attempts: Int) -> String {
        "\(plan.command) did not return a value matching until within \(describe(budget))"
            + " (\(attempts) attempt\(attempts == 1 ? "" : "s"))"
    }

    /// Sets the status and message from the reply and the step's `expect`.
    private static func judge(_ reply: Reply, plan: ExecutePlan, into result: inout StepResult) {
        let command = plan.command
        switch reply {
        case .success(let value):
            if let wanted = plan.expectError {
                result.status = .failed
                result.message = plan.redact
                    ? "\(command) succeeded, but an error was expected"
                    : "\(command) succeeded, but expect.error wanted an error matching \(wanted.source.jsonText)"
            } else if let wanted = plan.expectReturn, let mismatch = wanted.mismatch(in: value) {
                result.status = .failed
                result.message = plan.redact
                    ? "\(command) returned a value that does not match expect.return"
                    : "\(command) returned \(shorten(value.jsonText)), which does not match expect.return: \(mismatch)"
            }
        case .failure(let error):
            let errorValue: JSONValue = ["class": .string(error.errorClass), "desc": .string(error.description)]
            if let wanted = plan.expectError {
                if let mismatch = wanted.mismatch(in: errorValue) {
                    result.status = .failed
                    result.message = "\(command) failed with \(error.errorClass): \(error.description),"
                        + " which does not match expect.error: \(mismatch)"
                }
            } else {
                result.status = .failed
                result.message = "\(command) failed: \(error.errorClass): \(error.description)"
            }
        }
    }

    /// The result of a command that got no reply: a timeout, or a lost target.
    private static func failure(
        of command: String, _ error: QMPError, on target: TargetSession, budget: Duration, into result: StepResult
    ) async -> StepResult {
        var result = result
        switch error.code {
        case .timeout:
            result.status = .timeout
            result.message = "\(command) got no reply from \(target.name) within \(describe(budget))"
        case .connectionClosed, .peerExited, .malformed, .messageTooLarge:
            result.status = .error
            result.message = "target \(target.name) was lost during \(command): \(await target.lossReason())"
        case .cancelled:
            result.status = .error
            result.message = "\(command) was cancelled"
        default:
            result.status = .failed
            result.message = "\(command) could not be sent to \(target.name): \(error.message)"
        }
        return result
    }

    static func waitEvent(
        names: [String], match: Pattern?, since: Date?, on target: TargetSession, step: Int, budget: Duration,
        redact: Bool
    ) async -> StepResult {
        let query = EventQuery(names: names, since: since) { event in
            match?.matches(.object(event.data)) ?? true
        }
        let wanted = names.joined(separator: " or ")
            + (match.map { redact ? " matching the (redacted) pattern" : " matching \($0.source.jsonText)" } ?? "")
        switch await target.events.wait(for: query, by: step, timeout: budget) {
        case .taken(let event):
            var result = StepResult(.passed)
            result.event = event.jsonValue
            result.registered = event.jsonValue
            return result
        case .timedOut(let others):
            return StepResult(.timeout, message: "no \(wanted) event arrived on \(target.name) within \(describe(budget))"
                + meanwhile(others, redact: redact))
        case .lost(let reason, _):
            return StepResult(.error, message: "target \(target.name) was lost while waiting for \(wanted): \(reason)")
        case .cancelled:
            return StepResult(.error, message: "the wait for \(wanted) was cancelled")
        }
    }

    /// `; events that arrived meanwhile: A, B {…}` or `; no other events arrived`.
    static func meanwhile(_ others: [RecordedEvent], redact: Bool) -> String {
        guard !others.isEmpty else { return "; no other events arrived" }
        let shown = others.prefix(10).map { redact ? $0.name : shorten($0.summary) }
        let more = others.count > 10 ? " and \(others.count - 10) more" : ""
        return "; events that arrived meanwhile: " + shown.joined(separator: ", ") + more
    }

    static func shorten(_ text: String, to limit: Int = 160) -> String {
        text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }
}
