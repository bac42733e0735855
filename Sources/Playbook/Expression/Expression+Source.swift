import QMP

extension Expression {
    /// The expression written out again, for messages: `info.virtual-size + 1`.
    public var source: String {
        switch self {
        case .literal(let value):
            if case .string(let text) = value { return Self.quoted(text) }
            return value.jsonText
        case .name(let name, _):
            return name
        case .member(let base, let key):
            let plain = !key.isEmpty && key.unicodeScalars.allSatisfy { Lexer.isNameScalar($0) || $0 == "-" }
            return base.source + (plain ? ".\(key)" : "[\(Self.quoted(key))]")
        case .index(let base, let index):
            return "\(base.source)[\(index.source)]"
        case .list(let elements):
            return "[" + elements.map(\.source).joined(separator: ", ") + "]"
        case .map(let members):
            return "{" + members.map { "\(Self.quoted($0.0)): \($0.1.source)" }.joined(separator: ", ") + "}"
        case .unary(let op, let operand):
            return op == .not ? "not \(operand.parenthesized)" : "-\(operand.parenthesized)"
        case .binary(let op, let left, let right):
            return "\(left.parenthesized) \(op.rawValue) \(right.parenthesized)"
        case .call(let name, let arguments, _):
            return "\(name)(" + arguments.map(\.source).joined(separator: ", ") + ")"
        }
    }

    private var parenthesized: String {
        if case .binary = self { return "(\(source))" }
        return source
    }

    static func quoted(_ text: String) -> String {
        var output = "'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "'": output += "\\'"
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\t": output += "\\t"
            case "\r": output += "\\r"
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "'"
    }
}
