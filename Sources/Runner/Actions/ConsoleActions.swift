import FoundationEssentials
import Playbook
import QMP

/// The console of a step's target, or why the step cannot use it.
private func targetConsole(of target: TargetSession) throws(StepPreparationError) -> ConsoleRecorder {
    guard let console = target.channels.console else {
        let why = target.channels.plan.missing["console"].map { ": \($0)" } ?? ""
        throw StepPreparationError(message: "target \(target.name) has no console channel\(why)")
    }
    return console
}

/// A `wait-console` step (SPEC.md §9): a regular expression over the
/// target's console output, from after the previous match (or from `since`),
/// output printed before the wait began included.
struct WaitConsoleAction: StepActionRunner {
    var source: String
    var expression: RegularExpression
    var since: Date?
    var sinceID: String?
    var console: ConsoleRecorder
    var target: TargetSession
    var budget: Duration
    var redact: Bool

    init(_ definition: WaitConsoleStep, in context: ActionContext) throws(StepPreparationError) {
        target = try context.requireTarget()
        console = try targetConsole(of: target)
        source = try context.text(definition.pattern, "wait-console")
        guard let expression = RegularExpression(source) else {
            throw StepPreparationError(message: "wait-console: '\(source)' is not a valid regular expression")
        }
        self.expression = expression
        if let id = definition.since {
            guard let sent = context.sendTimes[id] else {
                throw StepPreparationError(message: "since: step '\(id)' has not run")
            }
            since = sent
            sinceID = id
        }
        budget = context.budget
        redact = context.step.redact
    }

    func run() async -> StepResult {
        let deadline = ContinuousClock.now + budget
        let start = since.map { console.offset(since: $0) }
        var result = StepResult(.passed)
        var request: JSONObject = ["wait-console": .string(source)]
        if let sinceID { request["since"] = .string(sinceID) }
        result.request = .object(request)
        result.sentAt = Date()
        let shown = "/\(source)/"
        switch await console.wait(for: expression, from: start, until: deadline) {
        case .matched(let text, let groups, let offset, _):
            let value: JSONValue = ["text": .string(text), "groups": .array(groups.map { $0.map(JSONValue.string) ?? .null })]
            result.registered = value
            if case .object(var response) = value {
                response["offset"] = .int(Int64(offset))
                result.response = .object(response)
            }
        case .timedOut:
            result.status = .timeout
            let lines = console.lastLines()
            result.message = "no console output matching \(shown) on \(target.name) within \(describe(budget))"
                + (redact ? "" : lines.isEmpty ? "; the console printed nothing" : "; its last lines: \(lines)")
        case .ended(let reason):
            result.status = .failed
            let lines = console.lastLines()
            result.message = "the console of \(target.name) closed before output matched \(shown) (\(reason))"
                + (redact || lines.isEmpty ? "" : "; its last lines: \(lines)")
        case .cancelled:
            result.status = .error
            result.message = "the wait for \(shown) was cancelled"
        }
        return result
    }
}

/// A `send-console` step: writes its text to the target's console.
struct SendConsoleAction: StepActionRunner {
    var text: String
    var console: ConsoleRecorder
    var target: TargetSession

    init(_ definition: JSONValue, in context: ActionContext) throws(StepPreparationError) {
        target = try context.requireTarget()
        console = try targetConsole(of: target)
        text = try context.text(definition, "send-console")
    }

    func run() async -> StepResult {
        var result = StepResult(.passed)
        result.request = ["send-console": .string(text)]
        result.sentAt = Date()
        do throws(QMPError) {
            try console.send(Array(text.utf8))
        } catch {
            result.status = .error
            result.message = "cannot write to the console of \(target.name): \(error.message)"
        }
        return result
    }
}
