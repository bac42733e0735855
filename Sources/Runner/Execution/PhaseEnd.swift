/// How a phase of the run (the main steps, or the `always` steps) ended.
struct PhaseEnd: Sendable {
    /// The first step that failed and was not ignored: its index, status and message.
    var failure: (index: Int, name: String, status: StepStatus, message: String)?
    var deadlinePassed = false
}
