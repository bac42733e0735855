import Playbook
import QMP

/// The elements a `loop:` goes over, resolved when the loop starts (SPEC.md §8.3).
enum LoopElements {
    /// The most elements a `range` may give (a guard against a typo'd bound).
    static let maximumRange: Int64 = 1_000_000

    struct Problem: Error {
        var message: String
    }

    static func resolve(_ loop: StepLoop, with variables: Variables) -> Result<[JSONValue], Problem> {
        func value(_ written: JSONValue, _ what: String) -> Result<JSONValue, Problem> {
            Result(catching: { () throws(TemplateError) in try Template.resolve(written, with: variables) })
                .mapError { Problem(message: "\(what): \($0.message)") }
        }
        switch loop.source {
        case .list(let elements):
            return value(.array(elements), "loop").map { $0.arrayValue ?? [] }
        case .expression(let text):
            return value(.string(text), "loop").flatMap { resolved in
                guard case .array(let elements) = resolved else {
                    return .failure(Problem(message: "loop \(text) gave \(resolved.typeName.withArticle) (\(StepText.shorten(resolved.jsonText, to: 60))), not a list"))
                }
                return .success(elements)
            }
        case .range(let first, let end):
            var bounds: [Int64] = []
            for (written, what) in [(first, "first"), (end, "end")] {
                switch value(written, "loop range \(what)") {
                case .failure(let problem): return .failure(problem)
                case .success(.int(let number)): bounds.append(number)
                case .success(.uint(let number)) where number <= UInt64(Int64.max): bounds.append(Int64(number))
                case .success(let other):
                    return .failure(Problem(message: "loop range \(what) \(written.stringValue ?? written.jsonText) gave \(other.typeName.withArticle) (\(StepText.shorten(other.jsonText, to: 60))), not an integer"))
                }
            }
            guard bounds[0] < bounds[1] else { return .success([]) }
            let (count, overflow) = bounds[1].subtractingReportingOverflow(bounds[0])
            guard !overflow, count <= maximumRange else {
                return .failure(Problem(message: "loop range [\(bounds[0]), \(bounds[1])] has more than \(maximumRange) elements"))
            }
            return .success((bounds[0]..<bounds[1]).map { .int($0) })
        }
    }
}
