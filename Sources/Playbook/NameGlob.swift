/// A shell-style pattern over names (`web-*`, `ci-?`, `db-[0-9]*`): what
/// `--limit` takes. `*` matches any run of characters, `?` one character,
/// `[abc]`, `[a-z]` and `[!a-z]` one of (or none of) a set; anything else
/// itself. No characters are special to paths: `*` also matches `/`.
///
/// ```swift
/// NameGlob("web-*").matches("web-01")    // true
/// NameGlob("ci-?").matches("ci-10")      // false
/// ```
public struct NameGlob: Sendable, CustomStringConvertible {
    private enum Element: Sendable {
        case character(Character)
        case any
        case anyRun
        case set(ranges: [ClosedRange<Character>], negated: Bool)
    }

    private let elements: [Element]
    public let description: String

    public init(_ text: String) {
        description = text
        var elements: [Element] = []
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "*":
                elements.append(.anyRun)
            case "?":
                elements.append(.any)
            case "[":
                // A set runs to the next ']' (a ']' right after '[' or '[!' belongs to it); unclosed: a plain '['.
                var cursor = index + 1
                var negated = false
                if cursor < characters.count, characters[cursor] == "!" || characters[cursor] == "^" {
                    negated = true
                    cursor += 1
                }
                var ranges: [ClosedRange<Character>] = []
                var first = true
                var closed = false
                while cursor < characters.count {
                    let member = characters[cursor]
                    if member == "]", !first {
                        closed = true
                        break
                    }
                    first = false
                    if cursor + 2 < characters.count, characters[cursor + 1] == "-", characters[cursor + 2] != "]" {
                        let upper = characters[cursor + 2]
                        if member <= upper { ranges.append(member...upper) }
                        cursor += 3
                    } else {
                        ranges.append(member...member)
                        cursor += 1
                    }
                }
                if closed {
                    elements.append(.set(ranges: ranges, negated: negated))
                    index = cursor
                } else {
                    elements.append(.character("["))
                }
            default:
                elements.append(.character(character))
            }
            index += 1
        }
        self.elements = elements
    }

    /// Whether `name` matches the whole pattern.
    public func matches(_ name: String) -> Bool {
        let characters = Array(name)
        // Greedy with one backtrack point for the last '*': linear in practice.
        var pattern = 0
        var text = 0
        var starPattern = -1
        var starText = 0
        while text < characters.count {
            if pattern < elements.count {
                switch elements[pattern] {
                case .anyRun:
                    starPattern = pattern
                    starText = text
                    pattern += 1
                    continue
                case .any:
                    pattern += 1
                    text += 1
                    continue
                case .character(let wanted) where wanted == characters[text]:
                    pattern += 1
                    text += 1
                    continue
                case .set(let ranges, let negated) where ranges.contains { $0.contains(characters[text]) } != negated:
                    pattern += 1
                    text += 1
                    continue
                default:
                    break
                }
            }
            guard starPattern >= 0 else { return false }
            pattern = starPattern + 1
            starText += 1
            text = starText
        }
        while pattern < elements.count, case .anyRun = elements[pattern] { pattern += 1 }
        return pattern == elements.count
    }
}
