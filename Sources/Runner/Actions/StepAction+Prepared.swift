import Playbook

extension StepAction {
    /// The runner's action for this model action, prepared in `context`:
    /// the one place an action of the model meets its runner type.
    func prepared(in context: ActionContext) throws(StepPreparationError) -> any PreparedAction {
        switch self {
        case .execute(let definition): return try ExecuteAction(definition, in: context)
        case .hmp(let line): return try ExecuteAction(hmp: line, in: context)
        case .waitEvent(let definition): return try WaitEventAction(definition, in: context)
        case .sleep(let duration): return try SleepAction(duration, in: context)
        case .log(let text): return try LogAction(text, in: context)
        case .command(let definition): return try CommandAction(definition, in: context)
        case .set(let assignments): return try SetAction(assignments, in: context)
        case .assert(let condition, let message): return try AssertAction((condition, message), in: context)
        case .fail(let text): return try FailAction(text, in: context)
        case .start(let definition): return try StartAction(definition, in: context)
        case .stop(let definition): return try StopAction(definition, in: context)
        case .agent(let definition): return try ExecuteAction(agent: definition, in: context)
        case .guestExec(let definition): return try GuestExecAction(definition, in: context)
        case .waitConsole(let definition): return try WaitConsoleAction(definition, in: context)
        case .sendConsole(let text): return try SendConsoleAction(text, in: context)
        case .block, .include:
            // RunSession runs the steps a block or an include holds; they are never prepared as one action.
            throw StepPreparationError(message: "a \(kind.rawValue) is run by its steps")
        }
    }
}
