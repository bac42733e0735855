/// One lexical unit of an expression, with the scalar offset where it starts.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// A variable name or a path segment: letters, digits, `_`, and `-` between them.
        case name(String)
        case integer(Int64)
        /// An integer literal past `Int64.max` (up to `UInt64.max`), as QEMU sizes can be.
        case largeInteger(UInt64)
        case float(Double)
        case text(String)
        case keyword(Keyword)
        case symbol(Symbol)
        case end
    }

    enum Keyword: String, Sendable {
        case and, or, not, `in`, `true`, `false`, null
    }

    enum Symbol: String, Sendable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case plus = "+", minus = "-", times = "*", divide = "/", floorDivide = "//", remainder = "%"
        case openParen = "(", closeParen = ")", openBracket = "[", closeBracket = "]"
        case openBrace = "{", closeBrace = "}", comma = ",", colon = ":", dot = "."
    }

    var kind: Kind
    var offset: Int

    /// How the token reads in a message: `'+'`, `name 'x'`, `the end`.
    var described: String {
        switch kind {
        case .name(let name): return "'\(name)'"
        case .integer(let value): return "'\(value)'"
        case .largeInteger(let value): return "'\(value)'"
        case .float(let value): return "'\(value)'"
        case .text: return "a text"
        case .keyword(let keyword): return "'\(keyword.rawValue)'"
        case .symbol(let symbol): return "'\(symbol.rawValue)'"
        case .end: return "the end of the expression"
        }
    }
}
