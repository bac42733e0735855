import QMP

/// The binary operators of expressions on values: exact integer arithmetic,
/// float arithmetic, joining texts and lists, comparisons and `in`.
///
/// Integers are computed in `Int128` and must come back into the signed
/// 64-bit range (else an overflow error); a float operand makes the result
/// a float. `//` and `%` take integers and floor like Python (`-7 // 2` is
/// -4, `-7 % 2` is 1); dividing by zero is an error. Every error is one
/// sentence naming `source`, the expression being evaluated.
enum Arithmetic {
    static func apply(_ op: Expression.BinaryOperator, _ left: JSONValue, _ right: JSONValue, source: String) throws(ExpressionError) -> JSONValue {
        switch op {
        case .equal: return .bool(equal(left, right))
        case .notEqual: return .bool(!equal(left, right))
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let order = try compare(left, right, op: op, source: source)
            switch op {
            case .less: return .bool(order < 0)
            case .lessOrEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case .in:
            return .bool(try contains(right, left, source: source))
        case .add:
            switch (left, right) {
            case (.string(let a), .string(let b)): return .string(a + b)
            case (.array(let a), .array(let b)): return .array(a + b)
            default: return try numeric(op, left, right, source: source)
            }
        case .subtract, .multiply, .divide, .floorDivide, .remainder:
            return try numeric(op, left, right, source: source)
        case .and, .or:
            preconditionFailure("the evaluator short-circuits 'and' and 'or'")
        }
    }

    static func negate(_ value: JSONValue, source: String) throws(ExpressionError) -> JSONValue {
        switch ExactNumber(value) {
        case .integer(let integer): return try fit(-integer, source: source)
        case .float(let float): return .double(-float)
        case nil: throw ExpressionError("'-' takes a number, not \(Evaluator.kind(value))")
        }
    }

    /// Equality with numbers compared exactly (`2^53 + 1 != 2^53 * 1.0`); a text never equals a number.
    static func equal(_ left: JSONValue, _ right: JSONValue) -> Bool {
        if let a = ExactNumber(left), let b = ExactNumber(right) { return a == b }
        switch (left, right) {
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.members.allSatisfy { key, value in b[key].map { equal(value, $0) } ?? false }
        default:
            return left == right
        }
    }

    /// -1, 0, 1 for two numbers or two texts; anything else cannot be ordered.
    static func compare(_ left: JSONValue, _ right: JSONValue, op: Expression.BinaryOperator, source: String) throws(ExpressionError) -> Int {
        if let a = ExactNumber(left), let b = ExactNumber(right) { return ExactNumber.compare(a, b) }
        if case .string(let a) = left, case .string(let b) = right {
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : (a == b ? 0 : 1)
        }
        throw ExpressionError("'\(op.rawValue)' compares two numbers or two texts, not \(Evaluator.kind(left)) and \(Evaluator.kind(right))")
    }

    /// `needle in haystack`: an element of a list, a key of a map, a part of a text.
    static func contains(_ haystack: JSONValue, _ needle: JSONValue, source: String) throws(ExpressionError) -> Bool {
        switch (haystack, needle) {
        case (.array(let elements), _): return elements.contains { equal($0, needle) }
        case (.object(let object), .string(let key)): return object[key] != nil
        case (.string(let text), .string(let part)): return part.isEmpty || text.contains(part)
        case (.object, _), (.string, _):
            throw ExpressionError("'in' looks for a text in \(haystack.typeName == "object" ? "a map's keys" : "a text"), not for \(Evaluator.kind(needle))")
        default:
            throw ExpressionError("'in' looks into a list, a map or a text, not into \(Evaluator.kind(haystack))")
        }
    }

    private static func numeric(_ op: Expression.BinaryOperator, _ left: JSONValue, _ right: JSONValue, source: String) throws(ExpressionError) -> JSONValue {
        guard let a = ExactNumber(left), let b = ExactNumber(right) else {
            let what = op == .add ? "two numbers, two texts or two lists" : "two numbers"
            throw ExpressionError("'\(op.rawValue)' takes \(what), not \(Evaluator.kind(left)) and \(Evaluator.kind(right))")
        }
        switch (a, b) {
        case (.integer(let x), .integer(let y)):
            switch op {
            case .add: return try fit(x + y, source: source)
            case .subtract: return try fit(x - y, source: source)
            case .multiply:
                let (product, overflow) = x.multipliedReportingOverflow(by: y)
                if overflow { throw overflowError(source) }
                return try fit(product, source: source)
            case .divide:
                guard y != 0 else { throw ExpressionError("division by zero in '\(source)'") }
                return try finite(Double(x) / Double(y), source: source)
            case .floorDivide, .remainder:
                guard y != 0 else { throw ExpressionError("division by zero in '\(source)'") }
                var quotient = x / y
                var remainder = x % y
                if remainder != 0, (remainder < 0) != (y < 0) {
                    quotient -= 1
                    remainder += y
                }
                return try fit(op == .floorDivide ? quotient : remainder, source: source)
            default:
                preconditionFailure("not an arithmetic operator")
            }
        default:
            if op == .floorDivide || op == .remainder {
                throw ExpressionError("'\(op.rawValue)' takes integers, not \(Evaluator.kind(left)) and \(Evaluator.kind(right)) (use int() first)")
            }
            let x = a.double, y = b.double
            switch op {
            case .add: return try finite(x + y, source: source)
            case .subtract: return try finite(x - y, source: source)
            case .multiply: return try finite(x * y, source: source)
            default:
                guard y != 0 else { throw ExpressionError("division by zero in '\(source)'") }
                return try finite(x / y, source: source)
            }
        }
    }

    static func fit(_ value: Int128, source: String) throws(ExpressionError) -> JSONValue {
        guard let integer = Int64(exactly: value) else { throw overflowError(source) }
        return .int(integer)
    }

    private static func overflowError(_ source: String) -> ExpressionError {
        ExpressionError("integer overflow in '\(source)': the result does not fit in a signed 64-bit integer")
    }

    private static func finite(_ value: Double, source: String) throws(ExpressionError) -> JSONValue {
        guard value.isFinite else { throw ExpressionError("'\(source)' is too large for a float") }
        return .double(value)
    }
}

extension ExactNumber {
    var double: Double {
        switch self {
        case .integer(let value): return Double(value)
        case .float(let value): return value
        }
    }
}
