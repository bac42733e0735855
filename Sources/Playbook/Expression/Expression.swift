public import QMP

/// A parsed `${…}` expression: the tree the evaluator walks.
///
/// ```swift
/// let expression = try Expression(parsing: "info.virtual-size + 1073741824")
/// try expression.evaluate(with: variables)   // .int(…)
/// ```
///
/// Offsets are Unicode-scalar offsets into the expression's source, kept on
/// the nodes a check can complain about (names and calls).
public indirect enum Expression: Sendable {
    case literal(JSONValue)
    /// A variable's name, the root of a path.
    case name(String, offset: Int)
    /// `base.key` or `base['key']`.
    case member(Expression, String)
    /// `base[index]`: a key of a map or an index of a list, computed.
    case index(Expression, Expression)
    case list([Expression])
    case map([(String, Expression)])
    case unary(UnaryOperator, Expression)
    case binary(BinaryOperator, Expression, Expression)
    case call(String, [Expression], offset: Int)

    public enum UnaryOperator: String, Sendable {
        case negate = "-", not = "not"
    }

    public enum BinaryOperator: String, Sendable {
        case or, and
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case `in`
        case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", remainder = "%"
    }

    /// Parses `source` (the text between `${` and `}`).
    /// - Throws: ``ExpressionError`` at the first character it cannot read.
    public init(parsing source: String) throws(ExpressionError) {
        var parser = Parser(tokens: try Lexer.tokens(in: source))
        self = try parser.parseWhole()
    }
}

extension Expression {
    /// Whether the value is known without variables or calls (`{'$gt': 0}`, `[1, 2]`).
    var isConstant: Bool {
        switch self {
        case .literal: return true
        case .name, .call: return false
        case .member(let base, _): return base.isConstant
        case .index(let base, let index): return base.isConstant && index.isConstant
        case .list(let elements): return elements.allSatisfy(\.isConstant)
        case .map(let members): return members.allSatisfy { $0.1.isConstant }
        case .unary(_, let operand): return operand.isConstant
        case .binary(_, let left, let right): return left.isConstant && right.isConstant
        }
    }
}
