/// A place in a source file: 1-based line and column.
///
/// Prints as `file:line:column`, the form editors and compilers use.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

extension SourceLocation: Comparable {
    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// One problem found in a playbook, for people: `file:line:column: message`.
///
/// Loading collects every problem it can find rather than stopping at the
/// first; a diagnostic without a location concerns the file as a whole
/// (it cannot be read, it is too large).
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String

    /// A diagnostic is one line: line breaks in `message` (say, from a quoted
    /// value) are written as `\n`.
    public init(_ message: String, at location: SourceLocation?) {
        self.location = location
        var line = ""
        line.reserveCapacity(message.utf8.count)
        for character in message {
            switch character {
            case "\n": line += "\\n"
            case "\r\n": line += "\\r\\n"
            case "\r": line += "\\r"
            default: line.append(character)
            }
        }
        self.message = line
    }

    public var description: String {
        guard let location else { return message }
        return "\(location): \(message)"
    }
}

/// Every problem found in one playbook, sorted by position; the failure of
/// ``PlaybookLoader/load(path:variables:)``.
public struct Diagnostics: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One line per problem.
    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

extension Int {
    /// `1 step`, `3 steps`: a count with its noun (plural by `s`, or as given).
    public func counted(_ singular: String, plural: String? = nil) -> String {
        "\(self) " + (self == 1 ? singular : plural ?? singular + "s")
    }
}

extension String {
    /// "an integer", "a string", "null": a type's name as a message says it.
    public var withArticle: String {
        if self == "null" { return self }
        return ("aeiou".contains(first ?? "x") ? "an " : "a ") + self
    }
}
