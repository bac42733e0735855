import Playbook

extension Step {
    /// The `register` name of an execute or wait-event step.
    var registerName: String? {
        switch action {
        case .execute(let execute): return execute.register
        case .waitEvent(let wait): return wait.register
        default: return nil
        }
    }

    /// Whether the action talks to a target.
    var needsTarget: Bool {
        switch action {
        case .execute, .waitEvent, .hmp: return true
        case .sleep, .log: return false
        }
    }
}
