public import QMP

/// YAML 1.2 core-schema resolution of scalars.
///
/// ```swift
/// YAMLScalar.value(of: "42")     // .int(42)
/// YAMLScalar.value(of: "0x1F")   // .int(31)
/// YAMLScalar.value(of: "~")      // .null
/// YAMLScalar.value(of: "yes")    // .string("yes"): YAML 1.1 booleans are strings
/// ```
///
/// Only plain (unquoted) scalars are resolved; quoted and block scalars are
/// always strings. `--var NAME=VALUE` values go through ``value(of:)`` too.
public enum YAMLScalar {
    /// The value a plain scalar `text` stands for.
    public static func value(of text: String) -> JSONValue {
        // The words below are at most six bytes: longer text (most of it) skips their comparisons.
        if text.utf8.count <= 6 {
            if let word = word(text) { return word }
        }
        let utf8 = text.utf8
        guard let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
                || first == UInt8(ascii: ".") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else {
            return .string(text)
        }
        if let integer = integer(text) { return integer }
        if isFloat(utf8), let double = Double(text) { return .double(double) }
        return .string(text)
    }

    /// The value of a YAML 1.2 core schema word (`null`, `~`, `true`, `.inf`…), or nil when `text` is none.
    private static func word(_ text: String) -> JSONValue? {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: return nil
        }
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`; nil when `text` is none of them.
    static func integer(_ text: String) -> JSONValue? {
        if text.hasPrefix("0o") { return UInt64(text.dropFirst(2), radix: 8).map(integerValue) }
        if text.hasPrefix("0x") { return UInt64(text.dropFirst(2), radix: 16).map(integerValue) }
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        if negative {
            if let value = Int64("-" + digits) { return .int(value) }
            return Double(text).map(JSONValue.double)
        }
        if let value = UInt64(digits) { return integerValue(value) }
        return Double(digits).map(JSONValue.double)
    }

    private static func integerValue(_ value: UInt64) -> JSONValue {
        if let signed = Int64(exactly: value) { return .int(signed) }
        return .uint(value)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    private static func isFloat(_ utf8: String.UTF8View) -> Bool {
        var bytes = Array(utf8)[...]
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        let integerDigits = bytes.prefix(while: isDigit).count
        bytes = bytes.dropFirst(integerDigits)
        var fractionDigits = 0
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            fractionDigits = bytes.prefix(while: isDigit).count
            bytes = bytes.dropFirst(fractionDigits)
        }
        guard integerDigits + fractionDigits > 0 else { return false }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            let exponentDigits = bytes.prefix(while: isDigit).count
            guard exponentDigits > 0 else { return false }
            bytes = bytes.dropFirst(exponentDigits)
        }
        return bytes.isEmpty
    }

    /// Why `value` (resolved from `text`) cannot be sent as JSON, or nil:
    /// JSON has no infinity and no NaN, and `1e400` is infinite as a double.
    public static func nonFiniteProblem(_ value: JSONValue, text: String) -> String? {
        guard case .double(let double) = value, !double.isFinite else { return nil }
        if double.isNaN { return "'\(text)' is not a number JSON can carry (NaN); quote it to mean the text" }
        return "'\(text)' is a number too large for JSON (beyond ±1.8e308); quote it to mean the text"
    }

    /// Parses `text` as a one-scalar YAML document, as `--var` values are:
    /// `5` is a number, `"5"` (with the quotes) a string, `[a, b]` a list.
    ///
    /// Throws a ``Diagnostic`` (located in `source`, e.g. `--var dev`) when
    /// `text` is not valid YAML.
    public static func parseValue(_ text: String, source: String = "--var") throws(Diagnostic) -> JSONValue {
        let parser = YAMLParser(bytes: Array(text.utf8), file: source)
        guard let node = try parser.parseDocument() else { return .null }
        return node.jsonValue
    }
}

extension YAMLNode {
    /// The node as a JSON value, scalars resolved with the core schema.
    var jsonValue: JSONValue {
        switch content {
        case .scalar(let text, let style, let tag):
            return YAMLNode.resolve(text, style: style, tag: tag)
        case .sequence(let elements):
            return .array(elements.map(\.jsonValue))
        case .mapping(let pairs):
            var object = JSONObject()
            for pair in pairs { object[pair.key.scalarText ?? ""] = pair.value.jsonValue }
            return .object(object)
        }
    }

    static func resolve(_ text: String, style: ScalarStyle, tag: String?) -> JSONValue {
        switch tag {
        case nil:
            return style == .plain ? YAMLScalar.value(of: text) : .string(text)
        case "tag:yaml.org,2002:str", "!":
            return .string(text)
        case "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null":
            return YAMLScalar.value(of: text)
        default:
            return style == .plain ? YAMLScalar.value(of: text) : .string(text)
        }
    }
}
