public import QMP

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
/// everything else as JSON). `${a.b.0}` walks into maps by key and into lists
/// by index. An undefined name, a path that leads nowhere or a malformed
/// `${` throws ``TemplateError``. Pure: no I/O, no state.
public enum Template {
    /// One piece of a template string.
    enum Segment: Equatable {
        case literal(String)
        case reference([String])
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
        if segments.count == 1, case .reference(let path) = segments[0] {
            return try variables.value(at: path, depth: depth)
        }
        var output = ""
        for segment in segments {
            switch segment {
            case .literal(let literal):
                output += literal
            case .reference(let path):
                let value = try variables.value(at: path, depth: depth)
                if case .string(let string) = value { output += string } else { output += value.jsonText }
            }
        }
        return .string(output)
    }

    /// The variable paths `text` refers to, in order (`${a.b}` gives `["a", "b"]`).
    ///
    /// Throws when `text` holds a malformed `${…}`.
    public static func references(in text: String) throws(TemplateError) -> [[String]] {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return [] }
        return try parse(text).compactMap { segment in
            if case .reference(let path) = segment { return path }
            return nil
        }
    }

    /// Splits `text` into literal text and `${…}` references.
    static func parse(_ text: String) throws(TemplateError) -> [Segment] {
        var segments: [Segment] = []
        var literal: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "$"), index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "$"), bytes[index + 2] == UInt8(ascii: "{") {
                literal += [UInt8(ascii: "$"), UInt8(ascii: "{")]
                index += 3
                continue
            }
            guard byte == UInt8(ascii: "$"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "{") else {
                literal.append(byte)
                index += 1
                continue
            }
            guard let close = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: "}")) else {
                throw TemplateError("unterminated '${' in \"\(text)\" (write '$${' for a literal '${')")
            }
            let inner = String(decoding: bytes[(index + 2)..<close], as: UTF8.self)
            let path = inner.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            for part in path where part.isEmpty || !part.utf8.allSatisfy(isNameByte) {
                throw TemplateError("'${\(inner)}' is not a variable reference: use names of letters, digits, '_' and '-', joined by '.'")
            }
            if !literal.isEmpty {
                segments.append(.literal(String(decoding: literal, as: UTF8.self)))
                literal.removeAll()
            }
            segments.append(.reference(path))
            index = close + 1
        }
        if !literal.isEmpty { segments.append(.literal(String(decoding: literal, as: UTF8.self))) }
        return segments
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

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
