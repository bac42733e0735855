import QMP
@testable import Playbook

/// Evaluating one expression against variables, for the expression suites.
extension Variables {
    /// The value of `source`.
    func evaluate(_ source: String) throws -> JSONValue {
        try Evaluator(variables: self).evaluate(Expression(parsing: source))
    }

    /// The message `source` fails with, or nil when it evaluates.
    func evaluationFailure(_ source: String) -> String? {
        do {
            _ = try evaluate(source)
            return nil
        } catch let error as ExpressionError {
            return error.message
        } catch {
            return "\(error)"
        }
    }
}
