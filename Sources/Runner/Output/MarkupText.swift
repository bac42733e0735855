/// Escaping for the two markup outputs, the JUnit XML file and the HTML page:
/// `& < > " '` as entities, and the characters XML 1.0 cannot hold dropped
/// (control characters, U+FFFE, U+FFFF).
///
/// It works on UTF-8 bytes: every character it changes or drops is one byte
/// (`& < > " '`, a control) or the three bytes of U+FFFE and U+FFFF, so the
/// runs between them are copied whole and what is left is always valid UTF-8.
enum MarkupText {
    /// Escapes `text` for an element's content (line breaks and tabs kept as
    /// they are) or, with `inAttribute`, for a quoted attribute (where they
    /// become character references, so parsers keep them). Text that needs
    /// nothing is returned as it is.
    static func escape(_ text: String, inAttribute: Bool = false) -> String {
        let unchanged = withBytes(of: text) { bytes in
            bytes.allSatisfy { standsForItself($0, inAttribute: inAttribute) }
        }
        if unchanged { return text }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(text.utf8.count + 16)
        append(text, inAttribute: inAttribute, to: &escaped)
        return String(decoding: escaped, as: UTF8.self)
    }

    /// Appends `text` to `output`, escaped as ``escape(_:inAttribute:)`` does.
    static func append(_ text: String, inAttribute: Bool = false, to output: inout [UInt8]) {
        withBytes(of: text) { append($0, inAttribute: inAttribute, to: &output) }
    }

    /// Appends the UTF-8 text `bytes` to `output`, escaped.
    static func append(_ bytes: UnsafeBufferPointer<UInt8>, inAttribute: Bool = false, to output: inout [UInt8]) {
        var position = 0
        var runStart = 0
        while position < bytes.count {
            let byte = bytes[position]
            if standsForItself(byte, inAttribute: inAttribute) {
                position += 1
                continue
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
            if byte == 0xEF, position + 2 < bytes.count, bytes[position + 1] == 0xBF, bytes[position + 2] & 0xFE == 0xBE {
                position += 3  // U+FFFE or U+FFFF: dropped
            } else {
                if byte == 0xEF {
                    output.append(byte)  // the lead byte of another character, which stays
                } else if let reference = reference(for: byte) {
                    output.append(contentsOf: reference.utf8)
                }  // else a control character: dropped
                position += 1
            }
            runStart = position
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
    }

    private static func withBytes<Result>(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        text.utf8.withContiguousStorageIfAvailable(body) ?? Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// True when `byte` is copied as it is: not one of `& < > " '`, not a
    /// control (but a line break or tab in content), and not 0xEF, the lead
    /// byte of U+FFFE and U+FFFF (and of other characters, which are then
    /// looked at whole).
    @inline(__always)
    private static func standsForItself(_ byte: UInt8, inAttribute: Bool) -> Bool {
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"), 0xEF: false
        case UInt8(ascii: "\n"), UInt8(ascii: "\t"): !inAttribute
        default: byte >= 0x20
        }
    }

    /// The entity or character reference that stands for `byte` (a line break
    /// or tab only in an attribute gets here), or nil when it is dropped.
    private static func reference(for byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "&"): "&amp;"
        case UInt8(ascii: "<"): "&lt;"
        case UInt8(ascii: ">"): "&gt;"
        case UInt8(ascii: "\""): "&quot;"
        case UInt8(ascii: "'"): "&apos;"
        case UInt8(ascii: "\r"): "&#13;"
        case UInt8(ascii: "\n"): "&#10;"
        case UInt8(ascii: "\t"): "&#9;"
        default: nil
        }
    }
}
