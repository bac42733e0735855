/// Escaping for the two markup outputs, the JUnit XML file and the HTML page:
/// `& < > " '` as entities, and the characters XML 1.0 cannot hold dropped
/// (control characters, U+FFFE, U+FFFF).
enum MarkupText {
    /// Escapes `text` for an element's content (line breaks and tabs kept as
    /// they are) or, with `inAttribute`, for a quoted attribute (where they
    /// become character references, so parsers keep them).
    static func escape(_ text: String, inAttribute: Bool = false) -> String {
        if standsForItself(text, inAttribute: inAttribute) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let reference = reference(for: scalar, inAttribute: inAttribute) {
                out += reference
            } else if scalar == "\n" || scalar == "\t" || (scalar.value >= 0x20 && scalar.value != 0xFFFE && scalar.value != 0xFFFF) {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// True when no byte of `text` can need a reference or be dropped: no
    /// `& < > " '`, no control (but a line break or tab in content), and no
    /// 0xEF, the lead byte of U+FFFE and U+FFFF (and of other characters,
    /// which then take the scalar-by-scalar way). Most names and messages.
    private static func standsForItself(_ text: String, inAttribute: Bool) -> Bool {
        text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"), 0xEF: false
            case UInt8(ascii: "\n"), UInt8(ascii: "\t"): !inAttribute
            default: byte >= 0x20
            }
        }
    }

    /// The entity or character reference that stands for `scalar`, or nil when it stands for itself (or is dropped).
    private static func reference(for scalar: Unicode.Scalar, inAttribute: Bool) -> String? {
        switch scalar {
        case "&": "&amp;"
        case "<": "&lt;"
        case ">": "&gt;"
        case "\"": "&quot;"
        case "'": "&apos;"
        case "\r": "&#13;"
        case "\n" where inAttribute: "&#10;"
        case "\t" where inAttribute: "&#9;"
        default: nil
        }
    }
}
