import QMP

extension PlaybookDecoder {
    /// Reports every cycle among `vars` whose values refer to each other
    /// through `${…}` (`a: "${b}"`, `b: "${a}"`), once, at the first of its
    /// variables in the file: such a value can never be computed.
    func checkVarCycles(_ pairs: [YAMLPair]) {
        var references: [String: [String]] = [:]
        for pair in pairs {
            let name = pair.key.scalarText ?? ""
            guard overrides[name] == nil else { continue }   // --var replaces it: no template left
            var names: [String] = []
            collectNames(in: pair.value.jsonValue, into: &names)
            references[name] = names
        }
        var reported: Set<Set<String>> = []
        for pair in pairs {
            let start = pair.key.scalarText ?? ""
            guard let cycle = cycle(from: start, references: references), !reported.contains(Set(cycle)) else { continue }
            reported.insert(Set(cycle))
            let path = (cycle + [cycle[0]]).joined(separator: " → ")
            error("vars refer to each other through ${…} and can never be computed: \(path)", at: pair.key)
        }
    }

    /// The cycle through `start`, in order from it, or nil when none returns to it.
    private func cycle(from start: String, references: [String: [String]]) -> [String]? {
        var path = [start]
        var visited: Set<String> = [start]
        func walk(_ name: String) -> Bool {
            for next in references[name] ?? [] {
                if next == start { return true }
                guard references[next] != nil, visited.insert(next).inserted else { continue }
                path.append(next)
                if walk(next) { return true }
                path.removeLast()
            }
            return false
        }
        return walk(start) ? path : nil
    }

    private func collectNames(in value: JSONValue, into names: inout [String]) {
        switch value {
        case .string(let text):
            for found in (try? Template.expressions(in: text)) ?? [] { found.expression.collectNames(into: &names) }
        case .array(let elements):
            for element in elements { collectNames(in: element, into: &names) }
        case .object(let members):
            for key in members.keys { collectNames(in: members[key] ?? .null, into: &names) }
        default:
            break
        }
    }
}

extension Expression {
    /// Every variable name the expression reads.
    func collectNames(into names: inout [String]) {
        switch self {
        case .literal: break
        case .name(let name, _): names.append(name)
        case .member(let base, _): base.collectNames(into: &names)
        case .index(let base, let index):
            base.collectNames(into: &names)
            index.collectNames(into: &names)
        case .list(let elements): for element in elements { element.collectNames(into: &names) }
        case .map(let members): for (_, member) in members { member.collectNames(into: &names) }
        case .unary(_, let operand): operand.collectNames(into: &names)
        case .binary(_, let left, let right):
            left.collectNames(into: &names)
            right.collectNames(into: &names)
        case .call(_, let arguments, _): for argument in arguments { argument.collectNames(into: &names) }
        }
    }
}
