/// Where a character of a YAML scalar's value stands in the source file.
///
/// ```swift
/// let positions = ScalarPositions(source: bytes)
/// positions.position(ofOffset: 4, in: node)   // (line, column) of the 5th character of the value
/// ```
///
/// libyaml gives a scalar's start only. This walks the raw text from there
/// alongside the decoded value: a plain scalar's characters are copied
/// (line breaks fold to spaces), a single-quoted one writes `''` for `'`, a
/// double-quoted one has escapes. Block scalars (`|`, `>`) and anything the
/// walk cannot follow give the scalar's own start. Columns count Unicode
/// scalars, as libyaml's do.
struct ScalarPositions {
    private let lines: [[Unicode.Scalar]]

    init(source: [UInt8]) {
        let text = source.starts(with: [0xEF, 0xBB, 0xBF]) ? source.dropFirst(3) : source[...]
        lines = String(decoding: text, as: UTF8.self).unicodeScalars
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { Array($0) }
    }

    /// The 1-based line and column of the value's character at `offset` (in Unicode scalars).
    func position(ofOffset offset: Int, in node: YAMLNode) -> (line: Int, column: Int) {
        let start = (line: node.line, column: node.column)
        guard case .scalar(let text, let style, _) = node.content else { return start }
        let value = Array(text.unicodeScalars)
        var line = node.line - 1
        var column = node.column - 1
        switch style {
        case .literal, .folded: return start
        case .singleQuoted, .doubleQuoted: column += 1
        case .plain: break
        }
        var budget = 4 * value.count + 256
        func raw(_ ahead: Int = 0) -> Unicode.Scalar? {
            guard lines.indices.contains(line) else { return nil }
            let index = column + ahead
            if index == lines[line].count { return "\n" }
            return lines[line].indices.contains(index) ? lines[line][index] : nil
        }
        func step(_ count: Int = 1) {
            for _ in 0..<count {
                if raw() == "\n" {
                    line += 1
                    column = 0
                } else {
                    column += 1
                }
            }
        }
        var index = 0
        while index < min(offset, value.count) {
            budget -= 1
            guard budget > 0, let current = raw() else { return start }
            let wanted = value[index]
            if style == .singleQuoted, current == "'", raw(1) == "'", wanted == "'" {
                step(2)
                index += 1
            } else if style == .doubleQuoted, current == "\\" {
                let (length, produced) = Self.escape(after: raw(1))
                step(length)
                if produced == nil { continue }
                if produced == wanted || produced == Self.anyScalar { index += 1 }
            } else if current == wanted {
                step()
                index += 1
            } else if wanted == " " || wanted == "\n", current == "\n" || current == " " || current == "\t" || current == "\r" {
                // Folded line breaks and the indentation around them.
                while let next = raw(), next == " " || next == "\t" || next == "\r" || next == "\n" {
                    step()
                    budget -= 1
                    if budget <= 0 { return start }
                }
                while index < value.count, value[index] == " " || value[index] == "\n" { index += 1 }
            } else {
                step()
            }
        }
        guard lines.indices.contains(line) else { return start }
        return (line + 1, column + 1)
    }

    /// What an escape writes when the walk need not know (`\x41`, `\u00e9`).
    private static let anyScalar: Unicode.Scalar = "\u{FFFF}"

    /// How many raw characters a double-quoted escape takes after its `\`
    /// (the `\` included) and the one character it writes (nil: none, an escaped line break).
    private static func escape(after scalar: Unicode.Scalar?) -> (Int, Unicode.Scalar?) {
        switch scalar {
        case "n": return (2, "\n")
        case "t", "\t": return (2, "\t")
        case "r": return (2, "\r")
        case "0": return (2, "\0")
        case "\"": return (2, "\"")
        case "\\": return (2, "\\")
        case "/": return (2, "/")
        case " ": return (2, " ")
        case "x": return (4, anyScalar)
        case "u": return (6, anyScalar)
        case "U": return (10, anyScalar)
        case "\n": return (2, nil)
        default: return (2, anyScalar)
        }
    }
}
