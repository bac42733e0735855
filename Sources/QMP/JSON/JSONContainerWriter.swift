/// Writes a JSON object or array member by member, straight into bytes, in
/// exactly the layout ``JSONValue/write(to:indent:level:)`` gives a tree of
/// the same values. For output too large to build as a tree first: the run
/// report writes each step this way, then copies it into the report whole.
///
/// ```swift
/// var bytes: [UInt8] = []
/// var object = JSONContainerWriter(.object, indent: 2, level: 0, to: &bytes)
/// object.member("name", .string("boot"), to: &bytes)
/// object.member("attempts", .int(1), to: &bytes)
/// object.close(&bytes)   // the same text as ["name": "boot", "attempts": 1].prettyJSONBytes
/// ```
package struct JSONContainerWriter {
    package enum Kind { case object, array }

    package let kind: Kind
    package let indent: Int?
    /// The level of the container itself; its members are one deeper.
    package let level: Int
    private var isEmpty = true
    /// The line break and indentation before each member; empty when compact.
    private let memberBreak: [UInt8]

    /// Opens the container (`{` or `[`) at `level`.
    package init(_ kind: Kind, indent: Int?, level: Int, to output: inout [UInt8]) {
        self.kind = kind
        self.indent = indent
        self.level = level
        memberBreak = Self.lineBreak(indent: indent, level: level + 1)
        output.append(kind == .object ? UInt8(ascii: "{") : UInt8(ascii: "["))
    }

    /// Starts the next member: the separator, the line break and, in an
    /// object, `"key": `; the caller then writes the value at ``memberLevel``.
    package mutating func start(_ key: String? = nil, to output: inout [UInt8]) {
        startLine(&output)
        if let key {
            JSONValue.writeString(key, to: &output)
            output.append(UInt8(ascii: ":"))
            if indent != nil { output.append(UInt8(ascii: " ")) }
        }
    }

    /// ``start(_:to:)`` with a key spelled out beforehand, for a writer that writes the same keys over and over.
    package mutating func start(_ key: JSONKey, to output: inout [UInt8]) {
        if indent == 2, let lineLevel = key.lineLevel, lineLevel == level + 1 {
            if !isEmpty { output.append(UInt8(ascii: ",")) }
            isEmpty = false
            output.append(contentsOf: key.line)
            return
        }
        startLine(&output)
        output.append(contentsOf: indent == nil ? key.compact : key.spaced)
    }

    private mutating func startLine(_ output: inout [UInt8]) {
        if !isEmpty { output.append(UInt8(ascii: ",")) }
        isEmpty = false
        // Compact output has no line break: not even an empty append (a JSON lines entry starts 20 members).
        if indent != nil { output.append(contentsOf: memberBreak) }
    }

    /// `"\n"` and `level` indents, or nothing when compact; the common ones are made once.
    fileprivate static func lineBreak(indent: Int?, level: Int) -> [UInt8] {
        guard let indent else { return [] }
        if indent == 2, level < twoSpaceBreaks.count { return twoSpaceBreaks[level] }
        return [UInt8(ascii: "\n")] + [UInt8](repeating: UInt8(ascii: " "), count: indent * level)
    }

    private static let twoSpaceBreaks: [[UInt8]] = (0..<12).map { [UInt8(ascii: "\n")] + [UInt8](repeating: UInt8(ascii: " "), count: 2 * $0) }

    /// The level a member's value is written at.
    package var memberLevel: Int { level + 1 }

    /// Writes a whole member: `key` (in an object) and `value`.
    package mutating func member(_ key: String?, _ value: JSONValue, to output: inout [UInt8]) {
        start(key, to: &output)
        value.write(to: &output, indent: indent, level: level + 1)
    }

    /// Writes `key` and a string, or `null` when there is none: what
    /// `member(key, .string(value))` writes, without the ``JSONValue``.
    package mutating func member(_ key: String, string value: String?, to output: inout [UInt8]) {
        start(key, to: &output)
        if let value { JSONValue.writeString(value, to: &output) } else { output.append(contentsOf: JSONValue.nullBytes) }
    }

    /// Writes `key` and an integer, or `null` when there is none.
    package mutating func member(_ key: String, int value: Int?, to output: inout [UInt8]) {
        start(key, to: &output)
        if let value { JSONValue.writeInteger(Int64(value), to: &output) } else { output.append(contentsOf: JSONValue.nullBytes) }
    }

    /// Writes an array element.
    package mutating func element(_ value: JSONValue, to output: inout [UInt8]) {
        member(nil, value, to: &output)
    }

    /// ``member(_:string:to:)`` with a key spelled out beforehand.
    package mutating func member(_ key: JSONKey, string value: String?, to output: inout [UInt8]) {
        start(key, to: &output)
        if let value { JSONValue.writeString(value, to: &output) } else { output.append(contentsOf: JSONValue.nullBytes) }
    }

    /// ``member(_:int:to:)`` with a key spelled out beforehand.
    package mutating func member(_ key: JSONKey, int value: Int?, to output: inout [UInt8]) {
        start(key, to: &output)
        if let value { JSONValue.writeInteger(Int64(value), to: &output) } else { output.append(contentsOf: JSONValue.nullBytes) }
    }

    /// ``member(_:_:to:)`` with a key spelled out beforehand.
    package mutating func member(_ key: JSONKey, _ value: JSONValue, to output: inout [UInt8]) {
        start(key, to: &output)
        value.write(to: &output, indent: indent, level: level + 1)
    }

    /// Closes the container: `{}` or `[]` when it has no member, as the tree writer does.
    package func close(_ output: inout [UInt8]) {
        if !isEmpty { output.append(contentsOf: Self.lineBreak(indent: indent, level: level)) }
        output.append(kind == .object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
    }
}

/// An object key spelled out once as JSON (`"name":`, and `"name": ` for
/// indented output), for ``JSONContainerWriter/start(_:to:)-(JSONKey,_)``.
///
/// A key made for one level of two-space output (`lineLevel`) also holds the
/// member's whole line start, `\n`, the indentation and `"name": `: a writer
/// at that level appends it at once (the report writes 25 keys per step).
package struct JSONKey: Sendable {
    package let compact: [UInt8]
    package let spaced: [UInt8]
    /// The level of two-space indentation ``line`` is made for; nil: none is.
    package let lineLevel: Int?
    package let line: [UInt8]

    package init(_ name: String, lineLevel: Int? = nil) {
        var bytes: [UInt8] = []
        JSONValue.writeString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        let spacedBytes = bytes + [UInt8(ascii: " ")]
        compact = bytes
        spaced = spacedBytes
        self.lineLevel = lineLevel
        line = lineLevel.map { JSONContainerWriter.lineBreak(indent: 2, level: $0) + spacedBytes } ?? []
    }
}
