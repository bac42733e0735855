import QMP

extension Pattern {
    private static func describe(_ path: [String]) -> String {
        path.isEmpty ? "" : "at \(path.joined(separator: ".")): "
    }

    static func show(_ value: JSONValue) -> String {
        let text = value.jsonText
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    /// Whether a missing map key satisfies `node` (`{$exists: false}`, `{$not: {$exists: true}}`).
    static func acceptsMissing(_ node: Node) -> Bool {
        switch node {
        case .exists(let flag): return !flag
        case .allOf(let nodes): return nodes.allSatisfy(acceptsMissing)
        case .or(let nodes, _): return nodes.contains(where: acceptsMissing)
        case .not(let inner, _): return !acceptsMissing(inner)
        default: return false
        }
    }

    /// One sentence naming the key that differed and what came back, or nil for a match.
    static func mismatch(_ node: Node, _ value: JSONValue, path: [String]) -> String? {
        let at = describe(path)
        switch node {
        case .object(let members):
            guard case .object(let object) = value else { return "\(at)expected a map but found \(show(value))" }
            for (key, member) in members {
                guard let actual = object[key] else {
                    if acceptsMissing(member) { continue }
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
            return Arithmetic.equal(expected, value) ? nil : "\(at)expected \(show(expected)) but found \(show(value))"
        case .regex(let source, let expression):
            guard case .string(let text) = value else { return "\(at)expected a string matching /\(source)/ but found \(show(value))" }
            return expression.matches(text) ? nil : "\(at)\(show(value)) does not match /\(source)/"
        case .exists(let flag):
            return flag ? nil : "\(at)expected no value but found \(show(value))"
        case .notEqual(let excluded):
            return Arithmetic.equal(excluded, value) ? "\(at)expected anything but \(show(excluded))" : nil
        case .compare(let comparison, let bound, let written):
            guard let number = ExactNumber(value), comparison.holds(number, bound) else {
                return "\(at)expected a number \(comparison.words) \(show(written)) but found \(show(value))"
            }
            return nil
        case .oneOf(let choices):
            return choices.contains(where: { Arithmetic.equal($0, value) }) ? nil : "\(at)expected one of \(show(.array(choices))) but found \(show(value))"
        case .contains(let element):
            guard case .array(let actual) = value else { return "\(at)expected a list but found \(show(value))" }
            return actual.contains(where: { mismatch(element, $0, path: []) == nil }) ? nil : "\(at)no element of the list matches"
        case .any:
            return nil
        case .allOf(let nodes):
            for node in nodes {
                if let reason = mismatch(node, value, path: path) { return reason }
            }
            return nil
        case .not(let inner, let written):
            return mismatch(inner, value, path: []) == nil ? "\(at)expected a value not matching \(show(written)) but found \(show(value))" : nil
        case .or(let alternatives, let written):
            if alternatives.contains(where: { mismatch($0, value, path: []) == nil }) { return nil }
            return "\(at)expected a value matching one of \(show(written)) but found \(show(value))"
        case .every(let element):
            guard case .array(let actual) = value else { return "\(at)expected a list but found \(show(value))" }
            for (index, item) in actual.enumerated() {
                if let reason = mismatch(element, item, path: path + [String(index)]) { return reason }
            }
            return nil
        case .length(let inner):
            let count: Int
            switch value {
            case .string(let text): count = text.count
            case .array(let elements): count = elements.count
            case .object(let object): count = object.count
            default: return "\(at)expected a text, a list or a map (for $len) but found \(show(value))"
            }
            guard let reason = mismatch(inner, .int(Int64(count)), path: []) else { return nil }
            return "\(at)length \(count): \(reason)"
        }
    }
}
