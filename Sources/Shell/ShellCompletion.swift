import QMP

/// What Tab offers for the word under the cursor: command names first,
/// then, after a command, its argument names (`id=`) and, after `key=`,
/// the values that argument takes (enum values, `driver=` device models).
struct ShellCompletion: Equatable {
    /// Where the completed part starts in the line (characters).
    var start: Int
    /// What is typed of it so far.
    var typed: String
    /// Every candidate that starts with `typed`, sorted.
    var candidates: [String]
    /// Added after a sole candidate: a space, or nothing after `name=`.
    var suffix: String

    /// The completion for `line` with the cursor at `cursor`; nil when nothing applies.
    static func complete(_ line: [Character], cursor: Int, schema: ShellSchema?) -> ShellCompletion? {
        let before = Array(line[..<cursor])
        let (words, _) = ShellWords.split(before)
        let atNewWord = before.last.map { $0 == " " || $0 == "\t" } ?? true
        let previous = atNewWord ? words : Array(words.dropLast())
        let current = atNewWord ? nil : words.last
        let start = current?.start ?? cursor
        let typed = current.map { String(before[$0.start...]) } ?? ""
        guard let schema else {
            return previous.isEmpty ? make(start: start, typed: typed, from: ShellInput.shellWords, suffix: " ") : nil
        }
        guard let command = previous.first?.text else {
            return make(start: start, typed: typed, from: schema.schema.commandNames + ShellInput.shellWords, suffix: " ")
        }
        switch command {
        case "help":
            return previous.count == 1 ? make(start: start, typed: typed, from: schema.schema.commandNames, suffix: " ") : nil
        case ":wait":
            return previous.count == 1 ? make(start: start, typed: typed, from: schema.schema.eventNames, suffix: " ") : nil
        case "hmp", ":mark", ":quit":
            return nil
        default:
            break
        }
        guard let arguments = schema.arguments(of: command) else { return nil }
        if let equals = typed.firstIndex(of: "=") {
            let key = String(typed[..<equals])
            let value = String(typed[typed.index(after: equals)...])
            let valueStart = start + key.count + 1
            return make(start: valueStart, typed: value, from: schema.values(of: key, in: command), suffix: " ")
        }
        let given = Set(previous.dropFirst().compactMap { word in word.text.split(separator: "=", maxSplits: 1).first.map(String.init) })
        let names = arguments.map(\.name).filter { !given.contains($0) }.map { $0 + "=" }
        return make(start: start, typed: typed, from: names, suffix: "")
    }

    private static func make(start: Int, typed: String, from names: [String], suffix: String) -> ShellCompletion? {
        let candidates = Set(names.filter { $0.hasPrefix(typed) }).sorted()
        guard !candidates.isEmpty else { return nil }
        return ShellCompletion(start: start, typed: typed, candidates: candidates, suffix: suffix)
    }

    /// The longest text every candidate starts with.
    var commonPrefix: String {
        guard var prefix = candidates.first.map(Array.init) else { return typed }
        for candidate in candidates.dropFirst() {
            let characters = Array(candidate)
            var length = 0
            while length < prefix.count, length < characters.count, prefix[length] == characters[length] { length += 1 }
            prefix = Array(prefix.prefix(length))
        }
        return String(prefix)
    }
}
