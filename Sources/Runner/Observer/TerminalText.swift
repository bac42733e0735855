/// Text from elsewhere (step names, log text, QEMU's error texts) made safe
/// for a terminal: control characters that would move the cursor, ring the
/// bell or start an escape sequence are shown as `\x1b`, `\x07`…, so a
/// playbook or a QEMU can neither forge lines nor leave the terminal in an
/// odd state. Tabs and line breaks stay.
public enum TerminalText {
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `text` cut to `columns` characters (an ellipsis marks the cut).
    public static func fitting(_ text: String, columns: Int) -> String {
        guard columns > 1, text.count > columns else { return text }
        return String(text.prefix(columns - 1)) + "…"
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A: return false
        case 0x00...0x1F, 0x7F...0x9F: return true
        default: return false
        }
    }
}
