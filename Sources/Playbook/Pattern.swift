public import QMP
import Foundation

/// The match language of `match`, `expect` and `until`.
///
/// ```swift
/// let pattern = try Pattern(["device": "tablet0", "path": ["$regex": "^/machine/"]])
/// pattern.matches(["device": "tablet0", "path": "/machine/peripheral/tablet0"])  // true
/// pattern.mismatch(in: ["device": "mouse0"])
/// // "at device: expected \"tablet0\" but found \"mouse0\""
/// ```
///
/// A map matches a map that has at least its keys, with matching values; a
/// list matches a list of the same length element by element; a scalar
/// matches an equal scalar (numbers compare by value); `null` matches only
/// null. A single-key map whose key starts with `$` is an operator:
/// `$regex`, `$exists`, `$ne`, `$gt`, `$ge`, `$lt`, `$le`, `$in`,
/// `$contains`, `$any`. Templates are resolved before a pattern is built.
public struct Pattern: Sendable {
    indirect enum Node: Sendable {
        case object([(String, Node)])
        case array([Node])
        case equal(JSONValue)
        case regex(String, RegularExpression)
        case exists(Bool)
        case notEqual(JSONValue)
        case compare(Comparison, Double)
        case oneOf([JSONValue])
        case contains(Node)
        case any
    }

    enum Comparison: String, Sendable {
        case gt = "$gt", ge = "$ge", lt = "$lt", le = "$le"

        func holds(_ value: Double, _ bound: Double) -> Bool {
            switch self {
            case .gt: return value > bound
            case .ge: return value >= bound
            case .lt: return value < bound
            case .le: return value <= bound
            }
        }

        var words: String {
            switch self {
            case .gt: return "greater than"
            case .ge: return "at least"
            case .lt: return "less than"
            case .le: return "at most"
            }
        }
    }

    /// The operators, for messages and hints.
    public static let operators = ["$regex", "$exists", "$ne", "$gt", "$ge", "$lt", "$le", "$in", "$contains", "$any"]

    let root: Node
    /// The value the pattern was built from.
    public let source: JSONValue

    /// Builds a pattern; throws ``PatternError`` (with the path of the bad
    /// part) for an unknown operator or an operator with a wrong operand.
    public init(_ value: JSONValue) throws(PatternError) {
        source = value
        root = try Pattern.compile(value, path: [], isDeferred: nil)
    }

    /// Checks a pattern before its `${…}` are resolved: an operator whose
    /// operand `isDeferred` (not known until the run) is accepted as it is,
    /// so `{$regex: "^${dev}$"}` or `{$gt: "${limit}"}` are checked at run time.
    /// - Throws: ``PatternError`` as ``init(_:)`` does, for what is known now.
    public static func check(_ value: JSONValue, isDeferred: (JSONValue) -> Bool) throws(PatternError) {
        try withoutActuallyEscaping(isDeferred) { (deferred) throws(PatternError) in
            _ = try compile(value, path: [], isDeferred: deferred)
        }
    }

    private static func compile(_ value: JSONValue, path: [String], isDeferred: ((JSONValue) -> Bool)?) throws(PatternError) -> Node {
        switch value {
        case .array(let elements):
            var nodes: [Node] = []
            for (index, element) in elements.enumerated() {
                nodes.append(try compile(element, path: path + [String(index)], isDeferred: isDeferred))
            }
            return .array(nodes)
        case .object(let object):
            if object.count == 1, let key = object.keys.first, key.hasPrefix("$") {
                return try compileOperator(key, object.values[0], path: path + [key], isDeferred: isDeferred)
            }
            var members: [(String, Node)] = []
            for (key, member) in object.members {
                if key.hasPrefix("$") {
                    throw PatternError("an operator such as '\(key)' must be the only key of its map", path: path + [key])
                }
                members.append((key, try compile(member, path: path + [key], isDeferred: isDeferred)))
            }
            return .object(members)
        default:
            return .equal(value)
        }
    }

    private static func compileOperator(
        _ name: String, _ operand: JSONValue, path: [String], isDeferred: ((JSONValue) -> Bool)?
    ) throws(PatternError) -> Node {
        if operators.contains(name), let isDeferred, isDeferred(operand) { return .any }
        switch name {
        case "$regex":
            guard case .string(let source) = operand else { throw PatternError("$regex takes a string, not \(operand.typeName.withArticle)", path: path) }
            guard let expression = RegularExpression(source) else { throw PatternError("$regex: '\(source)' is not a valid regular expression", path: path) }
            return .regex(source, expression)
        case "$exists":
            guard case .bool(let flag) = operand else { throw PatternError("$exists takes true or false, not \(operand.typeName.withArticle)", path: path) }
            return .exists(flag)
        case "$ne":
            return .notEqual(operand)
        case "$gt", "$ge", "$lt", "$le":
            guard let bound = operand.doubleValue else { throw PatternError("\(name) takes a number, not \(operand.typeName.withArticle)", path: path) }
            return .compare(Comparison(rawValue: name)!, bound)
        case "$in":
            guard case .array(let choices) = operand else { throw PatternError("$in takes a list, not \(operand.typeName.withArticle)", path: path) }
            return .oneOf(choices)
        case "$contains":
            return .contains(try compile(operand, path: path, isDeferred: isDeferred))
        case "$any":
            guard operand == .bool(true) else { throw PatternError("$any takes true", path: path) }
            return .any
        default:
            let hint = NameSuggestion.hint(for: name, among: operators)
            throw PatternError("unknown operator '\(name)'\(hint)", path: path)
        }
    }

    public func matches(_ value: JSONValue) -> Bool {
        Pattern.mismatch(root, value, path: []) == nil
    }

    /// One sentence saying what did not match, or nil when `value` matches.
    public func mismatch(in value: JSONValue) -> String? {
        Pattern.mismatch(root, value, path: [])
    }

    private static func describe(_ path: [String]) -> String {
        path.isEmpty ? "" : "at \(path.joined(separator: ".")): "
    }

    private static func show(_ value: JSONValue) -> String {
        let text = value.jsonText
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    private static func mismatch(_ node: Node, _ value: JSONValue, path: [String]) -> String? {
        let at = describe(path)
        switch node {
        case .object(let members):
            guard case .object(let object) = value else { return "\(at)expected a map but found \(show(value))" }
            for (key, member) in members {
                guard let actual = object[key] else {
                    if case .exists(false) = member { continue }
                    return "\(describe(path + [key]))expected a value but the key is missing"
                }
                if let reason = mismatch(member, actual, path: path + [key]) { return reason }
            }
            return nil
        case .array(let elements):
            guard case .array(let actual) = value else { return "\(at)expected a list but found \(show(value))" }
            guard actual.count == elements.count else { return "\(at)expected a list of \(elements.count) but found \(actual.count) elements" }
            for (index, element) in elements.enumerated() {
                if let reason = mismatch(element, actual[index], path: path + [String(index)]) { return reason }
            }
            return nil
        case .equal(let expected):
            return expected == value ? nil : "\(at)expected \(show(expected)) but found \(show(value))"
        case .regex(let source, let expression):
            guard case .string(let text) = value else { return "\(at)expected a string matching /\(source)/ but found \(show(value))" }
            return expression.matches(text) ? nil : "\(at)\(show(value)) does not match /\(source)/"
        case .exists(let flag):
            return flag ? nil : "\(at)expected no value but found \(show(value))"
        case .notEqual(let excluded):
            return excluded == value ? "\(at)expected anything but \(show(excluded))" : nil
        case .compare(let comparison, let bound):
            guard let number = value.doubleValue else { return "\(at)expected a number \(comparison.words) \(show(.double(bound))) but found \(show(value))" }
            return comparison.holds(number, bound) ? nil : "\(at)expected a number \(comparison.words) \(show(.double(bound))) but found \(show(value))"
        case .oneOf(let choices):
            return choices.contains(value) ? nil : "\(at)expected one of \(show(.array(choices))) but found \(show(value))"
        case .contains(let element):
            guard case .array(let actual) = value else { return "\(at)expected a list but found \(show(value))" }
            return actual.contains(where: { mismatch(element, $0, path: []) == nil }) ? nil : "\(at)no element of the list matches"
        case .any:
            return nil
        }
    }
}

/// Why a value is not a valid pattern, with the path of the bad part.
public struct PatternError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// Keys and list indices from the pattern's root to the bad part.
    public var path: [String]

    public init(_ message: String, path: [String]) {
        self.message = message
        self.path = path
    }

    public var description: String { message }
}

/// A compiled regular expression; `$regex` searches (it is not anchored).
struct RegularExpression: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable after creation and documented
    // as safe to use from several threads at once.
    private let expression: NSRegularExpression

    init?(_ source: String) {
        guard let expression = try? NSRegularExpression(pattern: source) else { return nil }
        self.expression = expression
    }

    func matches(_ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
