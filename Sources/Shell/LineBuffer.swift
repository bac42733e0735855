import FoundationEssentials
import QMP

/// The line being edited: its characters, the cursor, and a walk through
/// the history (Up and Down), with no terminal in sight.
struct LineBuffer: Equatable {
    private(set) var characters: [Character] = []
    private(set) var cursor = 0
    /// Earlier lines, oldest first.
    private var history: [String]
    /// The history entry shown, or nil for the line being typed.
    private var historyIndex: Int?
    /// The line being typed, kept while the history is shown.
    private var draft: [Character] = []

    init(history: [String] = []) {
        self.history = history
    }

    var text: String { String(characters) }

    mutating func insert(_ text: some Collection<Character>) {
        characters.insert(contentsOf: text, at: cursor)
        cursor += text.count
    }

    /// Replaces `characters[start..<cursor]` with `text` (a completion).
    mutating func replace(from start: Int, with text: String) {
        characters.replaceSubrange(start..<cursor, with: Array(text))
        cursor = start + text.count
    }

    mutating func backspace() {
        guard cursor > 0 else { return }
        characters.remove(at: cursor - 1)
        cursor -= 1
    }

    mutating func delete() {
        guard cursor < characters.count else { return }
        characters.remove(at: cursor)
    }

    mutating func move(by offset: Int) { cursor = min(max(cursor + offset, 0), characters.count) }
    mutating func moveHome() { cursor = 0 }
    mutating func moveEnd() { cursor = characters.count }

    mutating func moveWordLeft() {
        while cursor > 0, characters[cursor - 1] == " " { cursor -= 1 }
        while cursor > 0, characters[cursor - 1] != " " { cursor -= 1 }
    }

    mutating func moveWordRight() {
        while cursor < characters.count, characters[cursor] == " " { cursor += 1 }
        while cursor < characters.count, characters[cursor] != " " { cursor += 1 }
    }

    mutating func killToEnd() { characters.removeSubrange(cursor...) }

    mutating func killToStart() {
        characters.removeSubrange(..<cursor)
        cursor = 0
    }

    mutating func killWord() {
        let end = cursor
        moveWordLeft()
        characters.removeSubrange(cursor..<end)
    }

    /// Shows the previous history entry (Up).
    mutating func historyBack() {
        guard !history.isEmpty else { return }
        if historyIndex == nil { draft = characters }
        let index = max((historyIndex ?? history.count) - 1, 0)
        show(history[index], at: index)
    }

    /// Shows the next history entry, or the line being typed after the last (Down).
    mutating func historyForward() {
        guard let index = historyIndex else { return }
        if index + 1 < history.count {
            show(history[index + 1], at: index + 1)
        } else {
            historyIndex = nil
            characters = draft
            cursor = characters.count
        }
    }

    private mutating func show(_ line: String, at index: Int) {
        historyIndex = index
        characters = Array(line)
        cursor = characters.count
    }

    /// Ends the line: it is returned and the buffer is empty again, the history walk over.
    mutating func finish() -> String {
        let line = text
        characters = []
        cursor = 0
        historyIndex = nil
        draft = []
        return line
    }

    /// Adds `line` to the history (not when empty or the same as the last).
    mutating func remember(_ line: String) {
        guard !line.trimmingWhitespace().isEmpty, history.last != line else { return }
        history.append(line)
    }
}
