/// A key the line editor acts on.
enum Key: Equatable {
    case character(Character)
    case enter, tab, backspace, delete
    case left, right, home, end, up, down
    case wordLeft, wordRight
    /// Ctrl-C: drop the line.
    case interrupt
    /// Ctrl-D: leave on an empty line, else delete under the cursor.
    case endOfInput
    /// Ctrl-K, Ctrl-U, Ctrl-W.
    case killToEnd, killToStart, killWord
    /// Ctrl-L.
    case redraw
    /// A sequence the editor does not use (ignored).
    case ignored
}

/// Turns the bytes a terminal sends into keys: UTF-8 characters, control
/// keys, and the escape sequences of arrows, Home, End and Delete
/// (`ESC [ A`, `ESC O H`, `ESC [ 3 ~`…). A sequence cut between two reads is
/// kept until the rest arrives.
struct KeyDecoder {
    private var pending: [UInt8] = []

    mutating func feed(_ bytes: [UInt8]) -> [Key] {
        pending += bytes
        var keys: [Key] = []
        var index = 0
        while index < pending.count {
            guard let (key, length) = Self.decode(pending[index...]) else { break }
            keys.append(key)
            index += length
        }
        pending.removeFirst(index)
        return keys
    }

    /// The key at the start of `bytes` and how many bytes it took; nil when more bytes are needed.
    private static func decode(_ bytes: ArraySlice<UInt8>) -> (Key, Int)? {
        let first = bytes[bytes.startIndex]
        switch first {
        case 0x0D, 0x0A: return (.enter, 1)
        case 0x09: return (.tab, 1)
        case 0x7F, 0x08: return (.backspace, 1)
        case 0x01: return (.home, 1)
        case 0x02: return (.left, 1)
        case 0x03: return (.interrupt, 1)
        case 0x04: return (.endOfInput, 1)
        case 0x05: return (.end, 1)
        case 0x06: return (.right, 1)
        case 0x0B: return (.killToEnd, 1)
        case 0x0C: return (.redraw, 1)
        case 0x0E: return (.down, 1)
        case 0x10: return (.up, 1)
        case 0x15: return (.killToStart, 1)
        case 0x17: return (.killWord, 1)
        case 0x1B: return escape(bytes)
        case 0x00..<0x20: return (.ignored, 1)
        default: return character(bytes)
        }
    }

    private static func escape(_ bytes: ArraySlice<UInt8>) -> (Key, Int)? {
        let start = bytes.startIndex
        guard bytes.count >= 2 else { return nil }
        let second = bytes[start + 1]
        switch second {
        case UInt8(ascii: "["):
            // CSI: parameters (digits, ';') then one final byte.
            var index = start + 2
            while index < bytes.endIndex, (0x30...0x3F).contains(bytes[index]) { index += 1 }
            guard index < bytes.endIndex else { return nil }
            let parameters = String(decoding: bytes[(start + 2)..<index], as: UTF8.self)
            let length = index - start + 1
            switch (bytes[index], parameters) {
            case (UInt8(ascii: "A"), _): return (.up, length)
            case (UInt8(ascii: "B"), _): return (.down, length)
            case (UInt8(ascii: "C"), "1;5"), (UInt8(ascii: "C"), "5"): return (.wordRight, length)
            case (UInt8(ascii: "D"), "1;5"), (UInt8(ascii: "D"), "5"): return (.wordLeft, length)
            case (UInt8(ascii: "C"), _): return (.right, length)
            case (UInt8(ascii: "D"), _): return (.left, length)
            case (UInt8(ascii: "H"), _): return (.home, length)
            case (UInt8(ascii: "F"), _): return (.end, length)
            case (UInt8(ascii: "~"), "1"), (UInt8(ascii: "~"), "7"): return (.home, length)
            case (UInt8(ascii: "~"), "4"), (UInt8(ascii: "~"), "8"): return (.end, length)
            case (UInt8(ascii: "~"), "3"): return (.delete, length)
            default: return (.ignored, length)
            }
        case UInt8(ascii: "O"):
            guard bytes.count >= 3 else { return nil }
            switch bytes[start + 2] {
            case UInt8(ascii: "A"): return (.up, 3)
            case UInt8(ascii: "B"): return (.down, 3)
            case UInt8(ascii: "C"): return (.right, 3)
            case UInt8(ascii: "D"): return (.left, 3)
            case UInt8(ascii: "H"): return (.home, 3)
            case UInt8(ascii: "F"): return (.end, 3)
            default: return (.ignored, 3)
            }
        case UInt8(ascii: "b"): return (.wordLeft, 2)
        case UInt8(ascii: "f"): return (.wordRight, 2)
        default:
            return (.ignored, 1)
        }
    }

    private static func character(_ bytes: ArraySlice<UInt8>) -> (Key, Int)? {
        let first = bytes[bytes.startIndex]
        let length = switch first {
        case 0xC0...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF7: 4
        case 0x80...0xFF where first < 0xC0 || first > 0xF7: 1  // a stray byte: shown as U+FFFD
        default: 1
        }
        guard bytes.count >= length else { return nil }
        let text = String(decoding: bytes.prefix(length), as: UTF8.self)
        return (text.first.map(Key.character) ?? .ignored, length)
    }
}
