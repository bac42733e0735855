import Playbook

extension Step {
    /// The `register` name of an execute, wait-event or command step.
    var registerName: String? {
        switch action {
        case .execute(let execute): return execute.register
        case .waitEvent(let wait): return wait.register
        case .command(let command): return command.register
        default: return nil
        }
    }

    /// Whether the action talks to a target.
    var needsTarget: Bool {
        switch action {
        case .execute, .waitEvent, .hmp: return true
        case .sleep, .log, .command: return false
        }
    }
}
