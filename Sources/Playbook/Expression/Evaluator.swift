public import QMP

/// Evaluates an ``Expression`` over ``Variables`` to a ``JSONValue``.
///
/// ```swift
/// let evaluator = Evaluator(variables: Variables(vars: ["n": 3]))
/// try evaluator.evaluate(Expression(parsing: "n * 2 + 1"))   // 7
/// ```
///
/// Integers stay exact: `+ - * // %` and unary `-` throw when the result
/// leaves the signed 64-bit range; `/` gives a float. `and`, `or` and `not`
/// take booleans and short-circuit. Throws ``ExpressionError`` with one
/// sentence saying what went wrong (a missing key, a type that does not fit).
public struct Evaluator: Sendable {
    public var variables: Variables
    /// How deep `${…}` inside `vars` has gone, to refuse cycles.
    var depth: Int

    public init(variables: Variables) {
        self.init(variables: variables, depth: 0)
    }

    init(variables: Variables, depth: Int) {
        self.variables = variables
        self.depth = depth
    }

    public func evaluate(_ expression: Expression) throws(ExpressionError) -> JSONValue {
        switch expression {
        case .literal(let value):
            return value
        case .name(let name, let offset):
            if Variables.builtinNames.contains(name) {
                throw ExpressionError(Variables.builtinProblem([name], environment: nil) ?? "'\(name)' is a built-in namespace", at: offset)
            }
            do {
                return try variables.variable(name, depth: depth)
            } catch {
                throw ExpressionError(error.message, at: offset)
            }
        case .member(.name(let name, let offset), let key) where Variables.builtinNames.contains(name):
            do {
                return try variables.builtin([name, key])
            } catch {
                throw ExpressionError(error.message, at: offset)
            }
        case .member(let base, let key):
            return try member(of: try evaluate(base), key: key, base: base)
        case .index(let base, let index):
            let container = try evaluate(base)
            let key = try evaluate(index)
            switch (container, key) {
            case (.object, .string(let text)):
                return try member(of: container, key: text, base: base)
            case (.array, _) where ExactNumber(key) != nil:
                guard let position = key.intValue, key.typeName == "integer" else {
                    throw ExpressionError("'\(base.source)' is a list: its index must be an integer, not \(key.jsonText)")
                }
                return try member(of: container, key: String(position), base: base)
            case (.object, _), (.array, _):
                throw ExpressionError("'\(base.source)' is \(Self.kind(container)): it cannot be indexed with \(Self.kind(key))")
            default:
                throw ExpressionError("'\(base.source)' is \(Self.kind(container)), not a map or a list")
            }
        case .list(let elements):
            var values: [JSONValue] = []
            values.reserveCapacity(elements.count)
            for element in elements { values.append(try evaluate(element)) }
            return .array(values)
        case .map(let members):
            var object = JSONObject()
            for (key, member) in members { object[key] = try evaluate(member) }
            return .object(object)
        case .unary(.not, let operand):
            return .bool(!(try boolean(operand, for: "not")))
        case .unary(.negate, let operand):
            return try Arithmetic.negate(try evaluate(operand), source: expression.source)
        case .binary(.and, let left, let right):
            guard try boolean(left, for: "and") else { return .bool(false) }
            return .bool(try boolean(right, for: "and"))
        case .binary(.or, let left, let right):
            if try boolean(left, for: "or") { return .bool(true) }
            return .bool(try boolean(right, for: "or"))
        case .binary(let op, let left, let right):
            return try Arithmetic.apply(op, try evaluate(left), try evaluate(right), source: expression.source)
        case .call(let name, let arguments, let offset):
            guard let function = ExpressionFunctions.table[name] else {
                throw ExpressionError(ExpressionFunctions.unknownMessage(name), at: offset)
            }
            if let problem = function.arityProblem(arguments.count) { throw ExpressionError(problem, at: offset) }
            var values: [JSONValue] = []
            for argument in arguments { values.append(try evaluate(argument)) }
            return try function.apply(values)
        }
    }

    private func boolean(_ operand: Expression, for op: String) throws(ExpressionError) -> Bool {
        let value = try evaluate(operand)
        guard case .bool(let flag) = value else {
            throw ExpressionError("'\(op)' takes true or false, but '\(operand.source)' is \(Self.kind(value))")
        }
        return flag
    }

    private func member(of container: JSONValue, key: String, base: Expression) throws(ExpressionError) -> JSONValue {
        switch container {
        case .object(let object):
            guard let value = object[key] else { throw ExpressionError("'\(base.source)' has no key '\(key)'") }
            return value
        case .array(let elements):
            guard let index = Int(key), elements.indices.contains(index) else {
                throw ExpressionError("'\(base.source)' is a list of \(elements.count), with no element '\(key)'")
            }
            return elements[index]
        default:
            throw ExpressionError("'\(base.source)' is \(Self.kind(container)), not a map or a list")
        }
    }

    /// "an integer (3)", "a string ('x')": a value's type and a short look at it, for messages.
    static func kind(_ value: JSONValue) -> String {
        var text = value.jsonText
        if text.count > 40 { text = String(text.prefix(37)) + "..." }
        switch value {
        case .null: return "null"
        case .bool: return "a boolean (\(text))"
        case .int, .uint: return "an integer (\(text))"
        case .double: return "a float (\(text))"
        case .string: return "a text (\(text))"
        case .array: return "a list (\(text))"
        case .object: return "a map (\(text))"
        }
    }
}
