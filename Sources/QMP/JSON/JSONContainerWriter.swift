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

    /// Opens the container (`{` or `[`) at `level`.
    package init(_ kind: Kind, indent: Int?, level: Int, to output: inout [UInt8]) {
        self.kind = kind
        self.indent = indent
        self.level = level
        output.append(kind == .object ? UInt8(ascii: "{") : UInt8(ascii: "["))
    }

    /// Starts the next member: the separator, the line break and, in an
    /// object, `"key": `; the caller then writes the value at ``memberLevel``.
    package mutating func start(_ key: String? = nil, to output: inout [UInt8]) {
        if !isEmpty { output.append(UInt8(ascii: ",")) }
        isEmpty = false
        JSONValue.newline(&output, indent: indent, level: level + 1)
        if let key {
            JSONValue.writeString(key, to: &output)
            output.append(UInt8(ascii: ":"))
            if indent != nil { output.append(UInt8(ascii: " ")) }
        }
    }

    /// The level a member's value is written at.
    package var memberLevel: Int { level + 1 }

    /// Writes a whole member: `key` (in an object) and `value`.
    package mutating func member(_ key: String?, _ value: JSONValue, to output: inout [UInt8]) {
        start(key, to: &output)
        value.write(to: &output, indent: indent, level: level + 1)
    }

    /// Writes an array element.
    package mutating func element(_ value: JSONValue, to output: inout [UInt8]) {
        member(nil, value, to: &output)
    }

    /// Closes the container: `{}` or `[]` when it has no member, as the tree writer does.
    package func close(_ output: inout [UInt8]) {
        if !isEmpty { JSONValue.newline(&output, indent: indent, level: level) }
        output.append(kind == .object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
    }
}
