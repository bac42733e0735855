import Playbook
import QMP

/// A `set` step: resolves each value now and makes it a run-wide variable
/// for the steps after it (the response lists what was set).
struct SetAction: StepActionRunner {
    var assignments: [(name: String, value: JSONValue)]

    init(_ definition: [(name: String, value: JSONValue)], in context: ActionContext) throws(StepPreparationError) {
        // A later name may use an earlier one of the same step.
        var inner = context
        assignments = []
        for (name, value) in definition {
            let result = try inner.resolve(value, "set.\(name)")
            inner.variables.register(name, value: result)
            assignments.append((name, result))
        }
    }

    func run() async -> StepResult {
        var result = StepResult(.passed)
        var shown = JSONObject()
        for (name, value) in assignments { shown[name] = value }
        result.response = .object(shown)
        result.assignments = assignments
        return result
    }
}
