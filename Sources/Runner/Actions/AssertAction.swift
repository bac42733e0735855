import Playbook
import QMP

/// An `assert` step: passes when its condition is `true`; fails with its
/// `message` (or the condition as written) when it is `false`, and says what
/// came back when it is not a boolean.
struct AssertAction: StepActionRunner {
    var outcome: StepResult

    init(_ definition: (condition: JSONValue, message: JSONValue?), in context: ActionContext) throws(StepPreparationError) {
        let written = definition.condition.stringValue ?? definition.condition.jsonText
        switch try context.resolve(definition.condition, "assert") {
        case .bool(true):
            outcome = StepResult(.passed)
        case .bool(false):
            let message = try definition.message.map { value throws(StepPreparationError) in try context.text(value, "message") }
            outcome = StepResult(.failed, message: message ?? "the assertion \(written) is false")
        case let other:
            outcome = StepResult(
                .failed, message: "assert \(written) gave \(other.typeName.withArticle) (\(StepText.shorten(other.jsonText, to: 60))), not true or false")
        }
    }

    func run() async -> StepResult { outcome }
}
