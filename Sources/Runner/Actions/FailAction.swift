import QMP

/// A `fail` step: always fails, with its text (a guard, usually under `when`).
struct FailAction: StepActionRunner {
    var message: String

    init(_ text: JSONValue, in context: ActionContext) throws(StepPreparationError) {
        message = try context.text(text, "fail")
    }

    func run() async -> StepResult { StepResult(.failed, message: message) }
}
