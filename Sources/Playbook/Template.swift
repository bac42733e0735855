public import QMP
import FoundationEssentials
import Synchronization

/// `${…}` substitution in playbook values.
///
/// ```swift
/// var variables = Variables(vars: ["dev": "tablet0", "n": 3])
/// try Template.resolve("id-${dev}", with: variables)   // "id-tablet0"
/// try Template.resolve("${n}", with: variables)        // 3, still a number
/// try Template.resolve("$${dev}", with: variables)     // "${dev}"
/// ```
///
/// Every string inside `value` (lists and map values, not map keys) is
/// resolved. A string that is exactly one `${…}` becomes the variable's value
/// with its type; elsewhere a value is written as text (strings as they are,
/// everything else as JSON). Each `${…}` holds an ``Expression`` (paths such
/// as `${a.b.0}`, operators, function calls); `}` inside a quoted text or a
/// map literal does not end it. An undefined name, a path that leads nowhere,
/// a type that does not fit or a malformed `${` throws ``TemplateError``.
/// No state; the only I/O is `free_port()`.
public enum Template {
    /// One piece of a template string.
    enum Segment: Sendable {
        case literal(String)
        /// A `${…}`: its source, the parsed expression, and the scalar offset
        /// of the source's first character in the template text.
        case expression(String, Expression, offset: Int)
    }

    public static func resolve(_ value: JSONValue, with variables: Variables) throws(TemplateError) -> JSONValue {
        try resolve(value, with: variables, depth: 0)
    }

    static func resolve(_ value: JSONValue, with variables: Variables, depth: Int) throws(TemplateError) -> JSONValue {
        switch value {
        case .string(let text):
            return try resolve(string: text, with: variables, depth: depth)
        case .array(let elements):
            var resolved: [JSONValue] = []
            resolved.reserveCapacity(elements.count)
            for element in elements { resolved.append(try resolve(element, with: variables, depth: depth)) }
            return .array(resolved)
        case .object(let object):
            var resolved = JSONObject()
            for (key, member) in object.members { resolved[key] = try resolve(member, with: variables, depth: depth) }
            return .object(resolved)
        default:
            return value
        }
    }

    /// Resolves one string; see ``resolve(_:with:)``.
    public static func resolve(string text: String, with variables: Variables) throws(TemplateError) -> JSONValue {
        try resolve(string: text, with: variables, depth: 0)
    }

    static func resolve(string text: String, with variables: Variables, depth: Int) throws(TemplateError) -> JSONValue {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return .string(text) }
        let segments = try parse(text)
        let evaluator = Evaluator(variables: variables, depth: depth)
        if segments.count == 1, case .expression(let source, let expression, _) = segments[0] {
            return try evaluate(expression, source: source, with: evaluator)
        }
        var output = ""
        for segment in segments {
            switch segment {
            case .literal(let literal):
                output += literal
            case .expression(let source, let expression, _):
                output += Template.text(of: try evaluate(expression, source: source, with: evaluator))
            }
        }
        return .string(output)
    }

    private static func evaluate(_ expression: Expression, source: String, with evaluator: Evaluator) throws(TemplateError) -> JSONValue {
        do {
            return try evaluator.evaluate(expression)
        } catch {
            throw TemplateError(sentence(for: error, in: source))
        }
    }

    /// A value written into text: a string as it is, anything else as JSON.
    static func text(of value: JSONValue) -> String {
        if case .string(let string) = value { return string }
        return value.jsonText
    }

    /// An evaluation error as one sentence naming the expression (built-in
    /// messages already name their `${…}`).
    static func sentence(for error: ExpressionError, in source: String) -> String {
        if error.message.contains("${") { return error.message }
        return "'${\(source.trimmingWhitespace())}': \(error.message)"
    }

    /// The expressions in `text`, in order, each with the scalar offset of its source in `text`.
    ///
    /// Throws when `text` holds a malformed `${…}`; the error's offset points at the bad character.
    static func expressions(in text: String) throws(TemplateError) -> [(source: String, expression: Expression, offset: Int)] {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return [] }
        return try parse(text).compactMap { segment in
            if case .expression(let source, let expression, let offset) = segment { return (source, expression, offset) }
            return nil
        }
    }

    /// `value` with every `${` in its texts written `$${`, so that resolving it gives `value` back
    /// (a value the run computed, put where written values are resolved again).
    public static func escaped(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text) where text.contains("${"): return .string(text.replacing("${", with: "$${"))
        case .array(let elements): return .array(elements.map(escaped))
        case .object(let members): return .object(JSONObject(members.members.map { ($0, escaped($1)) }))
        default: return value
        }
    }

    /// Whether `text` holds at least one `${…}` (well formed or not).
    public static func hasExpressions(_ text: String) -> Bool {
        let dollar = UInt8(ascii: "$")
        guard text.utf8.withContiguousStorageIfAvailable({ $0.contains(dollar) }) ?? text.utf8.contains(dollar) else { return false }
        return (try? parse(text))?.contains { if case .expression = $0 { return true } else { return false } } ?? true
    }

    /// Parsed templates by text: a step in a loop or a poll resolves the same strings again.
    private static let parsed = Mutex<[String: [Segment]]>([:])
    private static let parsedLimit = 4096

    /// Splits `text` into literal text and `${…}` expressions (remembered, so each text is parsed once).
    static func parse(_ text: String) throws(TemplateError) -> [Segment] {
        if let known = parsed.withLock({ $0[text] }) { return known }
        let segments = try parseAnew(text)
        parsed.withLock { cache in
            if cache.count >= parsedLimit { cache.removeAll(keepingCapacity: true) }
            cache[text] = segments
        }
        return segments
    }

    private static func parseAnew(_ text: String) throws(TemplateError) -> [Segment] {
        var segments: [Segment] = []
        var literal = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "$", index + 2 < scalars.count, scalars[index + 1] == "$", scalars[index + 2] == "{" {
                literal.append(contentsOf: ["$", "{"])
                index += 3
                continue
            }
            guard scalar == "$", index + 1 < scalars.count, scalars[index + 1] == "{" else {
                literal.append(scalar)
                index += 1
                continue
            }
            let start = index + 2
            guard let close = closingBrace(in: scalars, from: start) else {
                throw TemplateError("unterminated '${' in \"\(text)\" (write '$${' for a literal '${')", offset: index)
            }
            let source = String(String.UnicodeScalarView(scalars[start..<close]))
            let expression: Expression
            do {
                expression = try Expression(parsing: source)
            } catch {
                throw TemplateError("in '${\(source)}': \(error.message)", offset: start + (error.offset ?? 0))
            }
            if !literal.isEmpty {
                segments.append(.literal(String(literal)))
                literal.removeAll()
            }
            segments.append(.expression(source, expression, offset: start))
            index = close + 1
        }
        if !literal.isEmpty { segments.append(.literal(String(literal))) }
        return segments
    }

    /// The index of the `}` that closes a `${` whose source starts at `start`:
    /// braces of map literals nest, and braces inside quoted texts do not count.
    private static func closingBrace(in scalars: [Unicode.Scalar], from start: Int) -> Int? {
        var depth = 0
        var quote: Unicode.Scalar?
        var index = start
        while index < scalars.count {
            let scalar = scalars[index]
            if let open = quote {
                if scalar == "\\" {
                    index += 1
                } else if scalar == open {
                    quote = nil
                }
            } else if scalar == "'" || scalar == "\"" {
                quote = scalar
            } else if scalar == "{" {
                depth += 1
            } else if scalar == "}" {
                if depth == 0 { return index }
                depth -= 1
            }
            index += 1
        }
        return nil
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

/// Why a `${…}` could not be resolved.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// For a malformed `${…}`: the Unicode-scalar offset of the offending
    /// character in the template text; nil for errors of evaluation.
    public var offset: Int?

    public init(_ message: String, offset: Int? = nil) {
        self.message = message
        self.offset = offset
    }

    public var description: String { message }
}
