import FoundationEssentials
import QMP

/// One function an expression can call: its name, how many arguments it takes, what it does.
struct ExpressionFunction: Sendable {
    var name: String
    var arity: ClosedRange<Int>
    var apply: @Sendable ([JSONValue]) throws(ExpressionError) -> JSONValue

    /// Why `count` arguments do not fit, or nil.
    func arityProblem(_ count: Int) -> String? {
        guard !arity.contains(count) else { return nil }
        let wanted: String
        if arity.upperBound == Int.max {
            wanted = "at least \(arity.lowerBound) argument\(arity.lowerBound == 1 ? "" : "s")"
        } else if arity.lowerBound == arity.upperBound {
            wanted = arity.lowerBound == 0 ? "no arguments" : "\(arity.lowerBound) argument\(arity.lowerBound == 1 ? "" : "s")"
        } else {
            wanted = "\(arity.lowerBound) to \(arity.upperBound) arguments"
        }
        return "\(name)() takes \(wanted), not \(count)"
    }
}

/// The functions of §8.1, by name; the one table the evaluator and `qmpbook check` use.
///
/// Each function throws ``ExpressionError`` with one sentence for an
/// argument of the wrong type (`len(3)`), a text that is not what it should
/// be (`int('3.5')`, `json('{')`), or `first` finding no match.
enum ExpressionFunctions {
    static let table: [String: ExpressionFunction] = {
        var table: [String: ExpressionFunction] = [:]
        for function in all { table[function.name] = function }
        return table
    }()

    static var names: [String] { all.map(\.name) }

    /// The functions whose second argument is a PATTERN (checked before the run when written out).
    static let takingPatterns: Set<String> = ["matches", "select", "first"]

    static func unknownMessage(_ name: String) -> String {
        let hint = NameSuggestion.hint(for: name, among: names)
        return "unknown function '\(name)'\(hint)"
    }

    static let all: [ExpressionFunction] = [
        ExpressionFunction(name: "len", arity: 1...1) { (arguments) throws(ExpressionError) in
            switch arguments[0] {
            case .string(let text): return .int(Int64(text.count))
            case .array(let elements): return .int(Int64(elements.count))
            case .object(let object): return .int(Int64(object.count))
            default: throw wrongType("len", "a text, a list or a map", arguments[0])
            }
        },
        ExpressionFunction(name: "int", arity: 1...1) { (arguments) throws(ExpressionError) in
            switch arguments[0] {
            case .int, .uint:
                guard let value = arguments[0].intValue else { throw ExpressionError("int(): \(arguments[0].jsonText) does not fit in a signed 64-bit integer") }
                return .int(value)
            case .double(let value):
                let whole = value.rounded(.towardZero)
                guard let integer = Int64(exactly: whole) else { throw ExpressionError("int(): \(value) does not fit in a signed 64-bit integer") }
                return .int(integer)
            case .bool(let flag):
                return .int(flag ? 1 : 0)
            case .string(let text):
                guard let value = Int64(text.trimmingWhitespace()) else {
                    throw ExpressionError("int(): '\(text)' is not an integer text (write int(float(x)) to cut off a fraction)")
                }
                return .int(value)
            default:
                throw wrongType("int", "a number, a boolean or a text", arguments[0])
            }
        },
        ExpressionFunction(name: "float", arity: 1...1) { (arguments) throws(ExpressionError) in
            switch arguments[0] {
            case .int, .uint, .double:
                return .double(arguments[0].doubleValue ?? 0)
            case .string(let text):
                guard let value = Double(text.trimmingWhitespace()), value.isFinite else {
                    throw ExpressionError("float(): '\(text)' is not a number text")
                }
                return .double(value)
            default:
                throw wrongType("float", "a number or a text", arguments[0])
            }
        },
        ExpressionFunction(name: "str", arity: 1...1) { (arguments) throws(ExpressionError) in
            .string(Template.text(of: arguments[0]))
        },
        ExpressionFunction(name: "bool", arity: 1...1) { (arguments) throws(ExpressionError) in
            switch arguments[0] {
            case .bool: return arguments[0]
            case .null: return .bool(false)
            case .int, .uint, .double: return .bool(ExactNumber(arguments[0]) != .integer(0))
            case .string(let text):
                switch text {
                case "true": return .bool(true)
                case "false": return .bool(false)
                default: throw ExpressionError("bool(): '\(text)' is not 'true' or 'false'")
                }
            case .array(let elements): return .bool(!elements.isEmpty)
            case .object(let object): return .bool(!object.isEmpty)
            }
        },
        ExpressionFunction(name: "keys", arity: 1...1) { (arguments) throws(ExpressionError) in
            guard case .object(let object) = arguments[0] else { throw wrongType("keys", "a map", arguments[0]) }
            return .array(object.keys.map { .string($0) })
        },
        ExpressionFunction(name: "values", arity: 1...1) { (arguments) throws(ExpressionError) in
            guard case .object(let object) = arguments[0] else { throw wrongType("values", "a map", arguments[0]) }
            return .array(object.values)
        },
        ExpressionFunction(name: "min", arity: 1...Int.max) { (arguments) throws(ExpressionError) in
            try extreme("min", arguments, wantsLess: true)
        },
        ExpressionFunction(name: "max", arity: 1...Int.max) { (arguments) throws(ExpressionError) in
            try extreme("max", arguments, wantsLess: false)
        },
        ExpressionFunction(name: "abs", arity: 1...1) { (arguments) throws(ExpressionError) in
            switch ExactNumber(arguments[0]) {
            case .integer(let value): return try Arithmetic.fit(value < 0 ? -value : value, source: "abs(\(arguments[0].jsonText))")
            case .float(let value): return .double(Swift.abs(value))
            case nil: throw wrongType("abs", "a number", arguments[0])
            }
        },
        ExpressionFunction(name: "json", arity: 1...1) { (arguments) throws(ExpressionError) in
            guard case .string(let text) = arguments[0] else { throw wrongType("json", "a text", arguments[0]) }
            do {
                return try JSONValue(parsing: text)
            } catch let error as JSONParseError {
                throw ExpressionError("json(): the text is not JSON: \(error.reason) at byte \(error.offset)")
            } catch {
                throw ExpressionError("json(): the text is not JSON")
            }
        },
        ExpressionFunction(name: "b64encode", arity: 1...1) { (arguments) throws(ExpressionError) in
            guard case .string(let text) = arguments[0] else { throw wrongType("b64encode", "a text", arguments[0]) }
            return .string(Data(text.utf8).base64EncodedString())
        },
        ExpressionFunction(name: "b64decode", arity: 1...1) { (arguments) throws(ExpressionError) in
            guard case .string(let text) = arguments[0] else { throw wrongType("b64decode", "a text", arguments[0]) }
            guard let data = Data(base64Encoded: text) else { throw ExpressionError("b64decode(): the text is not base64") }
            guard let decoded = String(data: data, encoding: .utf8) else { throw ExpressionError("b64decode(): the decoded bytes are not UTF-8 text") }
            return .string(decoded)
        },
        ExpressionFunction(name: "matches", arity: 2...2) { (arguments) throws(ExpressionError) in
            .bool(try pattern("matches", arguments[1]).matches(arguments[0]))
        },
        ExpressionFunction(name: "select", arity: 2...2) { (arguments) throws(ExpressionError) in
            guard case .array(let elements) = arguments[0] else { throw wrongType("select", "a list first", arguments[0]) }
            let pattern = try pattern("select", arguments[1])
            return .array(elements.filter { pattern.matches($0) })
        },
        ExpressionFunction(name: "first", arity: 2...2) { (arguments) throws(ExpressionError) in
            guard case .array(let elements) = arguments[0] else { throw wrongType("first", "a list first", arguments[0]) }
            let pattern = try pattern("first", arguments[1])
            guard let found = elements.first(where: { pattern.matches($0) }) else {
                throw ExpressionError("first(): no element of the list (\(elements.count)) matches \(Evaluator.kind(arguments[1]))")
            }
            return found
        },
        ExpressionFunction(name: "free_port", arity: 0...0) { (_) throws(ExpressionError) in
            switch System.freeTCPPort() {
            case .success(let port): return .int(Int64(port))
            case .failure(let error): throw ExpressionError("free_port(): no free TCP port on 127.0.0.1 (\(error))")
            }
        },
    ]

    private static func wrongType(_ name: String, _ wanted: String, _ value: JSONValue) -> ExpressionError {
        ExpressionError("\(name)() takes \(wanted), not \(Evaluator.kind(value))")
    }

    private static func pattern(_ name: String, _ value: JSONValue) throws(ExpressionError) -> Pattern {
        do {
            return try Pattern(value)
        } catch {
            let at = error.path.isEmpty ? "" : " at \(error.path.joined(separator: "."))"
            throw ExpressionError("\(name)(): the pattern is not valid\(at): \(error.message)")
        }
    }

    /// `min`/`max` of several arguments, or of the elements of one list.
    private static func extreme(_ name: String, _ arguments: [JSONValue], wantsLess: Bool) throws(ExpressionError) -> JSONValue {
        var candidates = arguments
        if arguments.count == 1 {
            guard case .array(let elements) = arguments[0] else { throw wrongType(name, "a list or several values", arguments[0]) }
            guard !elements.isEmpty else { throw ExpressionError("\(name)() of an empty list") }
            candidates = elements
        }
        var best = candidates[0]
        for candidate in candidates.dropFirst() {
            let order = try Arithmetic.compare(candidate, best, op: wantsLess ? .less : .greater, source: name)
            if wantsLess ? order < 0 : order > 0 { best = candidate }
        }
        if candidates.count == 1 { _ = try Arithmetic.compare(best, best, op: .less, source: name) }
        return best
    }
}
