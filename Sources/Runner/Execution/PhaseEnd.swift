import Playbook

/// How a phase of the run (the main steps, or the `always` steps) ended.
struct PhaseEnd: Sendable {
    /// The first step that failed and was not ignored: its index, status and message.
    var failure: Failure?

    /// A step that failed: who it is and why.
    struct Failure {
        var step: Step
        var status: StepStatus
        var message: String

        /// `step 'NAME' on TARGET (FILE:LINE:COLUMN)`, for the run's message.
        var stepDescription: String {
            let target = step.target.map { " on \($0)" } ?? ""
            return "step '\(step.name)'\(target) (\(step.location))"
        }
    }
    var deadlinePassed = false
}
