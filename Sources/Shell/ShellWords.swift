/// One word of a shell line, with where it stands in the line.
struct ShellWord: Equatable, Sendable {
    /// The word as the shell reads it: quotes at the top level removed,
    /// JSON inside `{…}` and `[…]` kept as written.
    var text: String
    /// Where the word starts and ends, in characters of the line.
    var start: Int
    var end: Int
}

/// Splits a shell line into words: spaces separate words, except inside
/// quotes (`id="a b"`, `'a b'`) and inside brackets (`opts={"a": 1, "b": [2, 3]}`),
/// where JSON strings may hold anything.
enum ShellWords {
    /// The words of `line`; `open` is what is left unfinished at the end (a quote or a bracket).
    static func split(_ line: [Character]) -> (words: [ShellWord], open: String?) {
        var words: [ShellWord] = []
        var current = ""
        var start: Int?
        var quote: Character?
        var brackets: [Character] = []
        var inJSONString = false
        var escaped = false
        for (index, character) in line.enumerated() {
            if !brackets.isEmpty {
                current.append(character)
                if inJSONString {
                    if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inJSONString = false }
                } else if character == "\"" {
                    inJSONString = true
                } else if character == "{" || character == "[" {
                    brackets.append(character)
                } else if character == "}" || character == "]" {
                    brackets.removeLast()
                }
                continue
            }
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                continue
            }
            if character == " " || character == "\t" {
                if let begun = start {
                    words.append(ShellWord(text: current, start: begun, end: index))
                    current = ""
                    start = nil
                }
                continue
            }
            if start == nil { start = index }
            if character == "\"" || character == "'" {
                quote = character
            } else {
                current.append(character)
                if character == "{" || character == "[" { brackets.append(character) }
            }
        }
        if let begun = start { words.append(ShellWord(text: current, start: begun, end: line.count)) }
        let open: String? = if let quote { "an unclosed \(quote)" } else if let last = brackets.last { "an unclosed \(last)" } else { nil }
        return (words, open)
    }
}
