import QMP

/// Recursive descent from ``Token``s to an ``Expression``, loosest operator first:
/// `or`, `and`, `not`, comparisons and `in`, `+ -`, `* / // %`, unary `-`,
/// then paths, indexing and calls.
///
/// Comparisons do not chain (`a < b < c` is an error: write `a < b and b < c`).
/// Every error names the offset of the token where reading stopped.
struct Parser {
    private let tokens: [Token]
    private var position = 0
    /// Nesting of brackets and operators, bounded so hostile input cannot overflow the stack.
    private var depth = 0
    static let maximumDepth = 64
    /// Binary operators in one expression, bounded for the same reason (the tree is walked recursively).
    private var operators = 0
    static let maximumOperators = 256

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    mutating func parseWhole() throws(ExpressionError) -> Expression {
        guard tokens[position].kind != .end else { throw ExpressionError("empty expression: write a name or a value inside ${…}", at: 0) }
        let expression = try parseOr()
        guard current.kind == .end else {
            throw ExpressionError("unexpected \(current.described) after a complete expression (missing operator?)", at: current.offset)
        }
        return expression
    }

    private var current: Token { tokens[position] }

    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private mutating func take(_ symbol: Token.Symbol) -> Bool {
        guard current.kind == .symbol(symbol) else { return false }
        position += 1
        return true
    }

    private mutating func take(_ keyword: Token.Keyword) -> Bool {
        guard current.kind == .keyword(keyword) else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ symbol: Token.Symbol, _ context: String) throws(ExpressionError) {
        guard take(symbol) else {
            throw ExpressionError("expected '\(symbol.rawValue)' \(context), found \(current.described)", at: current.offset)
        }
    }

    private mutating func binary(_ op: Expression.BinaryOperator, _ left: Expression, _ right: Expression) throws(ExpressionError) -> Expression {
        try countOperator()
        return .binary(op, left, right)
    }

    private mutating func countOperator() throws(ExpressionError) {
        operators += 1
        if operators > Self.maximumOperators { throw ExpressionError("the expression has more than \(Self.maximumOperators) operators", at: current.offset) }
    }

    private mutating func nest() throws(ExpressionError) {
        depth += 1
        if depth > Self.maximumDepth { throw ExpressionError("the expression nests deeper than \(Self.maximumDepth) levels", at: current.offset) }
    }

    private mutating func parseOr() throws(ExpressionError) -> Expression {
        var left = try parseAnd()
        while take(.or) { left = try binary(.or, left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws(ExpressionError) -> Expression {
        var left = try parseNot()
        while take(.and) { left = try binary(.and, left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws(ExpressionError) -> Expression {
        guard take(.not) else { return try parseComparison() }
        try nest()
        defer { depth -= 1 }
        return .unary(.not, try parseNot())
    }

    private static let comparisons: [Token.Symbol: Expression.BinaryOperator] = [
        .equal: .equal, .notEqual: .notEqual, .less: .less, .lessOrEqual: .lessOrEqual,
        .greater: .greater, .greaterOrEqual: .greaterOrEqual,
    ]

    private func comparison(at token: Token) -> Expression.BinaryOperator? {
        if token.kind == .keyword(.in) { return .in }
        if case .symbol(let symbol) = token.kind { return Self.comparisons[symbol] }
        return nil
    }

    private mutating func parseComparison() throws(ExpressionError) -> Expression {
        let left = try parseAdditive()
        guard let op = comparison(at: current) else {
            if current.kind == .keyword(.not), tokens[min(position + 1, tokens.count - 1)].kind == .keyword(.in) {
                throw ExpressionError("'not in' is not an operator: write 'not (x in list)'", at: current.offset)
            }
            return left
        }
        position += 1
        let right = try parseAdditive()
        if let again = comparison(at: current) {
            throw ExpressionError("comparisons do not chain: write 'a \(op.rawValue) b and b \(again.rawValue) c'", at: current.offset)
        }
        return try binary(op, left, right)
    }

    private mutating func parseAdditive() throws(ExpressionError) -> Expression {
        var left = try parseMultiplicative()
        while true {
            if take(.plus) {
                left = try binary(.add, left, try parseMultiplicative())
            } else if take(.minus) {
                left = try binary(.subtract, left, try parseMultiplicative())
            } else {
                return left
            }
        }
    }

    private mutating func parseMultiplicative() throws(ExpressionError) -> Expression {
        var left = try parseUnary()
        while true {
            let op: Expression.BinaryOperator
            switch current.kind {
            case .symbol(.times): op = .multiply
            case .symbol(.divide): op = .divide
            case .symbol(.floorDivide): op = .floorDivide
            case .symbol(.remainder): op = .remainder
            default: return left
            }
            position += 1
            left = try binary(op, left, try parseUnary())
        }
    }

    private mutating func parseUnary() throws(ExpressionError) -> Expression {
        guard take(.minus) else { return try parsePostfix() }
        try nest()
        defer { depth -= 1 }
        // `-9223372036854775808` is Int64.min: the literal alone would not fit.
        if case .largeInteger(let value) = current.kind, value == UInt64(Int64.max) + 1 {
            position += 1
            return try parsePostfix(.literal(.int(.min)))
        }
        return .unary(.negate, try parseUnary())
    }

    private mutating func parsePostfix() throws(ExpressionError) -> Expression {
        try parsePostfix(try parsePrimary())
    }

    private mutating func parsePostfix(_ base: Expression) throws(ExpressionError) -> Expression {
        var expression = base
        while true {
            if current.kind == .symbol(.dot) || current.kind == .symbol(.openBracket) { try countOperator() }
            if take(.dot) {
                guard case .name(let key) = current.kind else {
                    throw ExpressionError("expected a key after '.', found \(current.described)", at: current.offset)
                }
                position += 1
                expression = .member(expression, key)
            } else if current.kind == .symbol(.openBracket) {
                position += 1
                try nest()
                let index = try parseOr()
                depth -= 1
                try expect(.closeBracket, "to close '['")
                if case .literal(.string(let key)) = index {
                    expression = .member(expression, key)
                } else {
                    expression = .index(expression, index)
                }
            } else {
                return expression
            }
        }
    }

    private mutating func parsePrimary() throws(ExpressionError) -> Expression {
        let token = advance()
        switch token.kind {
        case .integer(let value): return .literal(.int(value))
        case .largeInteger(let value): return .literal(.uint(value))
        case .float(let value): return .literal(.double(value))
        case .text(let text): return .literal(.string(text))
        case .keyword(.true): return .literal(.bool(true))
        case .keyword(.false): return .literal(.bool(false))
        case .keyword(.null): return .literal(.null)
        case .name(let name):
            guard current.kind == .symbol(.openParen) else { return .name(name, offset: token.offset) }
            position += 1
            let arguments = try parseElements(closing: .closeParen, "to close the arguments of \(name)(")
            return .call(name, arguments, offset: token.offset)
        case .symbol(.openParen):
            try nest()
            let inner = try parseOr()
            depth -= 1
            try expect(.closeParen, "to close '('")
            return inner
        case .symbol(.openBracket):
            return .list(try parseElements(closing: .closeBracket, "to close the list"))
        case .symbol(.openBrace):
            return try parseMap()
        case .end:
            throw ExpressionError("the expression ends too early: a value is missing", at: token.offset)
        default:
            throw ExpressionError("expected a value, found \(token.described)", at: token.offset)
        }
    }

    private mutating func parseElements(closing: Token.Symbol, _ context: String) throws(ExpressionError) -> [Expression] {
        try nest()
        defer { depth -= 1 }
        var elements: [Expression] = []
        if take(closing) { return elements }
        while true {
            elements.append(try parseOr())
            if take(closing) { return elements }
            try expect(.comma, "or '\(closing.rawValue)' \(context)")
            if take(closing) { return elements }
        }
    }

    private mutating func parseMap() throws(ExpressionError) -> Expression {
        try nest()
        defer { depth -= 1 }
        var members: [(String, Expression)] = []
        if take(.closeBrace) { return .map(members) }
        while true {
            let keyToken = advance()
            let key: String
            switch keyToken.kind {
            case .name(let name): key = name
            case .text(let text): key = text
            case .keyword(let keyword): key = keyword.rawValue
            default: throw ExpressionError("expected a key (a name or a quoted text) in a map, found \(keyToken.described)", at: keyToken.offset)
            }
            if members.contains(where: { $0.0 == key }) { throw ExpressionError("duplicate key '\(key)' in this map", at: keyToken.offset) }
            try expect(.colon, "after the map key '\(key)'")
            members.append((key, try parseOr()))
            if take(.closeBrace) { return .map(members) }
            try expect(.comma, "or '}' to close the map")
            if take(.closeBrace) { return .map(members) }
        }
    }
}
