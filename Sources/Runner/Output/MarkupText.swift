/// Escaping for the two markup outputs, the JUnit XML file and the HTML page:
/// `& < > " '` as entities, and the characters XML 1.0 cannot hold dropped
/// (control characters, U+FFFE, U+FFFF).
enum MarkupText {
    /// Escapes `text` for an element's content (line breaks and tabs kept as
    /// they are) or, with `inAttribute`, for a quoted attribute (where they
    /// become character references, so parsers keep them).
    ///
    /// It works on the UTF-8 bytes: every character it changes or drops is
    /// one byte (`& < > " '`, a control) or the three bytes of U+FFFE and
    /// U+FFFF, so the runs between them are copied whole and what is left
    /// is always valid UTF-8. Text that needs nothing is returned as it is.
    static func escape(_ text: String, inAttribute: Bool = false) -> String {
        let escaped = text.utf8.withContiguousStorageIfAvailable { escape($0, inAttribute: inAttribute) }
            ?? Array(text.utf8).withUnsafeBufferPointer { escape($0, inAttribute: inAttribute) }
        return escaped.map { String(decoding: $0, as: UTF8.self) } ?? text
    }

    /// The escaped bytes, or nil when every byte stands for itself.
    private static func escape(_ bytes: UnsafeBufferPointer<UInt8>, inAttribute: Bool) -> [UInt8]? {
        var position = 0
        while position < bytes.count, standsForItself(bytes[position], inAttribute: inAttribute) { position += 1 }
        guard position < bytes.count else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 4)
        var runStart = 0
        while position < bytes.count {
            let byte = bytes[position]
            if standsForItself(byte, inAttribute: inAttribute) {
                position += 1
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
            if byte == 0xEF, position + 2 < bytes.count, bytes[position + 1] == 0xBF, bytes[position + 2] & 0xFE == 0xBE {
                position += 3  // U+FFFE or U+FFFF: dropped
            } else {
                if byte == 0xEF {
                    out.append(byte)  // the lead byte of another character, which stays
                } else if let reference = reference(for: byte) {
                    out.append(contentsOf: reference.utf8)
                }  // else a control character: dropped
                position += 1
            }
            runStart = position
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        return out
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
