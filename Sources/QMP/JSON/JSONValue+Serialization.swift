extension JSONValue {
    /// The compact JSON text of this value, as UTF-8 bytes.
    public var jsonBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        write(to: &output, indent: nil, level: 0)
        return output
    }

    /// The compact JSON text of this value (`{"a":1}`).
    public var jsonText: String { String(decoding: jsonBytes, as: UTF8.self) }

    /// The JSON text indented by two spaces a level, for people to read.
    public var prettyJSONText: String { String(decoding: prettyJSONBytes, as: UTF8.self) }

    /// ``prettyJSONText`` as UTF-8 bytes, for a file (no copy through a String).
    public var prettyJSONBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(to: &output, indent: 2, level: 0)
        return output
    }

    /// Appends this value's JSON text to `output`; `indent` nil means compact.
    public func write(to output: inout [UInt8], indent: Int?, level: Int) {
        switch self {
        case .null: output.append(contentsOf: Self.nullBytes)
        case .bool(let value): output.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
        case .int(let value): Self.writeInteger(value, to: &output)
        case .uint(let value): output.append(contentsOf: String(value).utf8)
        case .double(let value):
            if value.isFinite {
                if value == value.rounded(), abs(value) < 1e15 {
                    output.append(contentsOf: String(Int64(value)).utf8)
                } else {
                    output.append(contentsOf: "\(value)".utf8)
                }
            } else {
                output.append(contentsOf: "null".utf8)  // JSON has no NaN or infinity.
            }
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let elements):
            var array = JSONContainerWriter(.array, indent: indent, level: level, to: &output)
            for element in elements { array.element(element, to: &output) }
            array.close(&output)
        case .object(let object):
            var writer = JSONContainerWriter(.object, indent: indent, level: level, to: &output)
            for (key, value) in object.members { writer.member(key, value, to: &output) }
            writer.close(&output)
        }
    }

    package static let nullBytes = Array("null".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)

    /// Appends `value` in decimal, as `String(value)` spells it, without making the String.
    package static func writeInteger(_ value: Int64, to output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // 20 digits hold UInt64.max; filled from the end.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                count += 1
                buffer[24 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    package static func writeString(_ value: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            // Runs of bytes that need no escape (nearly all of them) are
            // copied whole; only quotes, backslashes and controls are spelled out.
            var runStart = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                appendEscape(of: byte, to: &output)
                runStart = index + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(of byte: UInt8, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
        case 0x0A: output.append(UInt8(ascii: "n"))
        case 0x0D: output.append(UInt8(ascii: "r"))
        case 0x09: output.append(UInt8(ascii: "t"))
        default:
            output.append(contentsOf: "u00".utf8)
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0xF)])
        }
    }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { jsonText }
}
