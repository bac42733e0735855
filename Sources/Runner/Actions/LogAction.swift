import QMP

/// A `log` step: its text, resolved, becomes the step's response (and a progress line).
struct LogAction: StepActionRunner {
    var line: String

    init(_ text: JSONValue, in context: ActionContext) throws(StepPreparationError) {
        line = try context.text(text, "log")
    }

    func run() async -> StepResult {
        var result = StepResult(.passed)
        result.response = .string(line)
        return result
    }
}
