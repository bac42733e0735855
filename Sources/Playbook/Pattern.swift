public import QMP
import FoundationEssentials

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
/// matches an equal scalar (numbers compare by exact value); `null` matches
/// only null. A map whose keys start with `$` holds operators, all of which
/// must hold (`{$gt: 0, $lt: 300}`): `$regex`, `$exists`, `$ne`, `$gt`,
/// `$ge`, `$lt`, `$le` (exact for integers), `$in`, `$contains`, `$any`,
/// `$not`, `$or`, `$all`, `$len`. Templates are resolved before a pattern is built.
public struct Pattern: Sendable {
    indirect enum Node: Sendable {
        case object([(String, Node)])
        case array([Node])
        case equal(JSONValue)
        case regex(String, RegularExpression)
        case exists(Bool)
        case notEqual(JSONValue)
        case compare(Comparison, ExactNumber, JSONValue)
        case oneOf([JSONValue])
        case contains(Node)
        case any
        /// Several operators of one map: every one must hold.
        case allOf([Node])
        /// `$not`: the pattern (kept as written, for messages) must not match.
        case not(Node, JSONValue)
        /// `$or`: at least one of the patterns matches.
        case or([Node], JSONValue)
        /// `$all`: a list whose every element matches.
        case every(Node)
        /// `$len`: the length of a text, a list or a map matches.
        case length(Node)
    }

    enum Comparison: String, Sendable {
        case gt = "$gt", ge = "$ge", lt = "$lt", le = "$le"

        func holds(_ value: ExactNumber, _ bound: ExactNumber) -> Bool {
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
    public static let operators = ["$regex", "$exists", "$ne", "$gt", "$ge", "$lt", "$le", "$in", "$contains", "$any",
                                   "$not", "$or", "$all", "$len"]

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
            let operatorKeys = object.keys.filter { $0.hasPrefix("$") }
            if !operatorKeys.isEmpty, operatorKeys.count == object.count {
                var nodes: [Node] = []
                for (key, operand) in object.members {
                    nodes.append(try compileOperator(key, operand, path: path + [key], isDeferred: isDeferred))
                }
                return nodes.count == 1 ? nodes[0] : .allOf(nodes)
            }
            if let key = operatorKeys.first {
                throw PatternError("a map holds either operators such as '\(key)' or plain keys, not both", path: path + [key])
            }
            var members: [(String, Node)] = []
            for (key, member) in object.members {
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
            guard let bound = ExactNumber(operand) else { throw PatternError("\(name) takes a number, not \(operand.typeName.withArticle)", path: path) }
            return .compare(Comparison(rawValue: name)!, bound, operand)
        case "$in":
            guard case .array(let choices) = operand else { throw PatternError("$in takes a list, not \(operand.typeName.withArticle)", path: path) }
            return .oneOf(choices)
        case "$contains":
            return .contains(try compile(operand, path: path, isDeferred: isDeferred))
        case "$any":
            guard operand == .bool(true) else { throw PatternError("$any takes true", path: path) }
            return .any
        case "$not":
            return .not(try compile(operand, path: path, isDeferred: isDeferred), operand)
        case "$or":
            guard case .array(let alternatives) = operand, !alternatives.isEmpty else {
                throw PatternError("$or takes a list of patterns, not \(operand.arrayValue == nil ? operand.typeName.withArticle : "an empty list")", path: path)
            }
            var nodes: [Node] = []
            for (index, alternative) in alternatives.enumerated() {
                nodes.append(try compile(alternative, path: path + [String(index)], isDeferred: isDeferred))
            }
            return .or(nodes, operand)
        case "$all":
            return .every(try compile(operand, path: path, isDeferred: isDeferred))
        case "$len":
            if case .string = operand { throw PatternError("$len takes a pattern for a length (a number or a map such as {$gt: 0}), not a string", path: path) }
            return .length(try compile(operand, path: path, isDeferred: isDeferred))
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
