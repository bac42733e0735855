import Playbook
import QMP

/// A step's values written as `${…}` where the model needs a duration, a
/// boolean or a map (``Step/late``), resolved just before the step (SPEC.md §8.1).
enum LateValues {
    /// `step` with its late values in place, or the one sentence saying which did not give what it must.
    static func resolve(_ step: Step, with variables: Variables) -> Result<Step, StepPreparationError> {
        var resolved = step
        for key in step.late.keys.sorted() {
            let written = step.late[key] ?? ""
            let value: JSONValue
            do {
                value = try Template.resolve(.string(written), with: variables)
            } catch {
                return .failure(StepPreparationError(message: "\(key): \(error.message)"))
            }
            func wrong(_ wanted: String) -> Result<Step, StepPreparationError> {
                .failure(StepPreparationError(message: "\(key) \(written) gave \(value.typeName.withArticle) (\(StepText.shorten(value.jsonText, to: 60))), not \(wanted)"))
            }
            switch key {
            case "timeout", "sleep", "interval":
                guard let duration = duration(value) else { return wrong("a duration such as 5s or a number of seconds") }
                switch (key, resolved.action) {
                case ("timeout", _): resolved.timeout = duration
                case ("sleep", .sleep): resolved.action = .sleep(duration)
                case ("interval", .execute(var execute)):
                    execute.interval = duration
                    resolved.action = .execute(execute)
                case ("interval", .command(var command)):
                    command.interval = duration
                    resolved.action = .command(command)
                default: break
                }
            case "ignore-errors":
                guard case .bool(let flag) = value else { return wrong("true or false") }
                resolved.ignoreErrors = flag
            case "arguments":
                guard case .object(let arguments) = value else { return wrong("a map of arguments") }
                if case .execute(var execute) = resolved.action {
                    // The action resolves its arguments again: the values given must come through as they are.
                    execute.arguments = Template.escaped(.object(arguments)).objectValue
                    resolved.action = .execute(execute)
                }
            default:
                break
            }
        }
        return .success(resolved)
    }

    /// A number of seconds or a duration text (`250ms`, `5s`), within ``DurationText/maximum``.
    private static func duration(_ value: JSONValue) -> Duration? {
        switch value {
        case .int, .uint, .double:
            guard let seconds = value.doubleValue, seconds >= 0 else { return nil }
            return DurationText.seconds(seconds)
        case .string(let text):
            return DurationText.parse(text)
        default:
            return nil
        }
    }
}
