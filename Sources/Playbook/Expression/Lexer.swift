/// Splits an expression's source into ``Token``s, each with its scalar offset.
///
/// ```swift
/// try Lexer.tokens(in: "info.virtual-size + 1")
/// // name info, '.', name virtual-size, '+', integer 1, end
/// ```
///
/// A name holds letters, digits, `_` and `-`; a `-` belongs to the name when
/// a letter, digit or `_` follows it, so `a-b` is one name and `a - b` a
/// subtraction. After a `.` the next segment is a name even when it starts
/// with a digit (`list.0.key`), and so may a name whose digits run into a
/// letter (`2fa`: variable names of Part 1 may start with a digit). Throws ``ExpressionError`` at the offending
/// character for anything else it cannot read.
enum Lexer {
    static func tokens(in source: String) throws(ExpressionError) -> [Token] {
        try tokens(in: Array(source.unicodeScalars))
    }

    static func tokens(in scalars: [Unicode.Scalar]) throws(ExpressionError) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                index += 1
                continue
            }
            let start = index
            let afterDot = tokens.last.map { $0.kind == .symbol(.dot) && $0.offset == start - 1 } ?? false
            if afterDot, isNameScalar(scalar) {
                let name = readName(scalars, &index)
                tokens.append(Token(kind: .name(name), offset: start))
            } else if isNameStart(scalar) {
                let name = readName(scalars, &index)
                let kind: Token.Kind = Token.Keyword(rawValue: name).map { .keyword($0) } ?? .name(name)
                tokens.append(Token(kind: kind, offset: start))
            } else if isDigit(scalar) {
                let number = try readNumber(scalars, &index)
                if index < scalars.count, isNameStart(scalars[index]) {
                    // `2fa`, `1st-disk`: a name that starts with a digit, as Part 1 allowed.
                    index = start
                    tokens.append(Token(kind: .name(readName(scalars, &index)), offset: start))
                } else {
                    tokens.append(Token(kind: number, offset: start))
                }
            } else if scalar == "'" || scalar == "\"" {
                tokens.append(Token(kind: .text(try readText(scalars, &index)), offset: start))
            } else {
                tokens.append(Token(kind: .symbol(try readSymbol(scalars, &index)), offset: start))
            }
        }
        tokens.append(Token(kind: .end, offset: scalars.count))
        return tokens
    }

    static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_"
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar >= "0" && scalar <= "9"
    }

    static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        isNameStart(scalar) || isDigit(scalar)
    }

    private static func readName(_ scalars: [Unicode.Scalar], _ index: inout Int) -> String {
        var name = String.UnicodeScalarView()
        while index < scalars.count {
            let scalar = scalars[index]
            if isNameScalar(scalar) {
                name.append(scalar)
            } else if scalar == "-", index + 1 < scalars.count, isNameScalar(scalars[index + 1]) {
                name.append(scalar)
            } else {
                break
            }
            index += 1
        }
        return String(name)
    }

    private static func readNumber(_ scalars: [Unicode.Scalar], _ index: inout Int) throws(ExpressionError) -> Token.Kind {
        let start = index
        var text = ""
        var isFloat = false
        func digits() {
            while index < scalars.count, isDigit(scalars[index]) || scalars[index] == "_" {
                if scalars[index] != "_" { text.unicodeScalars.append(scalars[index]) }
                index += 1
            }
        }
        digits()
        if index + 1 < scalars.count, scalars[index] == ".", isDigit(scalars[index + 1]) {
            isFloat = true
            text += "."
            index += 1
            digits()
        }
        if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
            var look = index + 1
            if look < scalars.count, scalars[look] == "+" || scalars[look] == "-" { look += 1 }
            if look < scalars.count, isDigit(scalars[look]) {
                isFloat = true
                text += "e" + (scalars[index + 1] == "-" ? "-" : "")
                index = look
                digits()
            }
        }
        if isFloat {
            guard let value = Double(text), value.isFinite else { throw ExpressionError("'\(text)' is too large for a number", at: start) }
            return .float(value)
        }
        if let value = Int64(text) { return .integer(value) }
        if let value = UInt64(text) { return .largeInteger(value) }
        throw ExpressionError("the integer \(text) does not fit in 64 bits", at: start)
    }

    private static func readText(_ scalars: [Unicode.Scalar], _ index: inout Int) throws(ExpressionError) -> String {
        let quote = scalars[index]
        let start = index
        index += 1
        var text = String.UnicodeScalarView()
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == quote {
                index += 1
                return String(text)
            }
            if scalar == "\\" {
                guard index + 1 < scalars.count else { break }
                switch scalars[index + 1] {
                case "\\": text.append("\\")
                case "'": text.append("'")
                case "\"": text.append("\"")
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                default:
                    throw ExpressionError("unknown escape '\\\(scalars[index + 1])' in a text (use \\\\, \\', \\\", \\n, \\t or \\r)", at: index)
                }
                index += 2
                continue
            }
            text.append(scalar)
            index += 1
        }
        throw ExpressionError("unterminated text: add the closing \(quote)", at: start)
    }

    private static func readSymbol(_ scalars: [Unicode.Scalar], _ index: inout Int) throws(ExpressionError) -> Token.Symbol {
        let scalar = scalars[index]
        let next = index + 1 < scalars.count ? scalars[index + 1] : nil
        let pair = next.map { String(scalar) + String($0) }
        if let pair, let symbol = Token.Symbol(rawValue: pair), pair.count == 2 {
            index += 2
            return symbol
        }
        if let symbol = Token.Symbol(rawValue: String(scalar)) {
            index += 1
            return symbol
        }
        switch scalar {
        case "=": throw ExpressionError("'=' is not an operator: write '==' to compare", at: index)
        case "!": throw ExpressionError("'!' is not an operator: write 'not' or '!='", at: index)
        case "&", "|": throw ExpressionError("'\(scalar)' is not an operator: write 'and' or 'or'", at: index)
        default: throw ExpressionError("unexpected character '\(scalar)'", at: index)
        }
    }
}
