/// Escaping for the two markup outputs, the JUnit XML file and the HTML page:
/// `& < > " '` as entities, and the characters XML 1.0 cannot hold dropped
/// (control characters, U+FFFE, U+FFFF).
enum MarkupText {
    /// Escapes `text` for an element's content (line breaks and tabs kept as
    /// they are) or, with `inAttribute`, for a quoted attribute (where they
    /// become character references, so parsers keep them).
    static func escape(_ text: String, inAttribute: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += inAttribute ? "&#10;" : "\n"
            case "\t": out += inAttribute ? "&#9;" : "\t"
            case "\r": out += "&#13;"
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
