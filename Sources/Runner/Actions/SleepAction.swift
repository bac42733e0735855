/// A `sleep` step: waits, cut short (as a timeout) when the budget is shorter.
struct SleepAction: StepActionRunner {
    var duration: Duration
    var budget: Duration

    init(_ duration: Duration, in context: ActionContext) throws(StepPreparationError) {
        self.duration = duration
        budget = context.budget
    }

    func run() async -> StepResult {
        if duration > budget {
            try? await Task.sleep(for: budget)
            return StepResult(.timeout, message: "the sleep of \(describe(duration)) was cut short")
        }
        try? await Task.sleep(for: duration)
        return StepResult(.passed)
    }
}
