import FoundationEssentials
import QMP

/// What one step did: the fields of its report entry, plus what the run
/// keeps from it (a registered value, when it sent its command).
struct StepResult: Sendable {
    var status: StepStatus
    var attempts: Int?
    var request: JSONValue?
    var response: JSONValue?
    var event: JSONValue?
    var message: String?
    /// The value to keep under the step's `register` name.
    var registered: JSONValue?
    /// Variables the step sets for the steps after it (`set`).
    var assignments: [(name: String, value: JSONValue)] = []
    /// When the step first sent its command (for `since`).
    var sentAt: Date?

    init(_ status: StepStatus, message: String? = nil) {
        self.status = status
        self.message = message
    }
}
