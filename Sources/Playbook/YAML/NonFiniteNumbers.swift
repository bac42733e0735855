/// Finds the numbers of a YAML document that JSON cannot carry.
///
/// ```swift
/// NonFiniteNumbers.diagnostics(in: root, file: "a.yaml")
/// // a.yaml:7:22: '1e400' is a number too large for JSON (beyond ±1.8e308); quote it to mean the text
/// ```
///
/// `1e400` overflows to infinity, and `.inf`/`.nan` are YAML's own spellings
/// of values JSON has no text for: sent to QEMU they would become `null`.
/// Each is a problem at its position (an alias repeating one is reported once).
enum NonFiniteNumbers {
    static func diagnostics(in root: YAMLNode, file: String) -> [Diagnostic] {
        var found: [SourceLocation: Diagnostic] = [:]
        var pending = [root]
        while let node = pending.popLast() {
            switch node.content {
            case .scalar(let text, let style, let tag):
                let value = YAMLNode.resolve(text, style: style, tag: tag)
                if let problem = YAMLScalar.nonFiniteProblem(value, text: text) {
                    let location = SourceLocation(file: file, line: node.line, column: node.column)
                    found[location] = Diagnostic(problem, at: location)
                }
            case .sequence(let elements):
                pending.append(contentsOf: elements)
            case .mapping(let pairs):
                for pair in pairs { pending.append(pair.value) }
            }
        }
        return Array(found.values)
    }
}
