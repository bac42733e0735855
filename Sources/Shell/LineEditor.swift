import FoundationEssentials
import QMP
import Synchronization

/// A small line editor on the terminal of stdin and stdout (termios, no
/// library): editing keys, history, Tab completion, and text printed above
/// the line being typed without garbling it.
///
/// ```swift
/// let editor = LineEditor(history: ["query-status"]) { line, cursor in … }   // nil when stdin is no terminal
/// editor?.read(prompt: "qmp> ") { outcome in … }    // .line("query-status"), .end (Ctrl-D)
/// editor?.printAbove("event STOP")                  // above the prompt, the typed text redrawn after
/// editor?.close()                                   // the terminal as it was
/// ```
///
/// The terminal is in raw mode only while a line is read (a thread of its
/// own reads the keys); between lines it is back in the mode it was in, so
/// Ctrl-C during a command is a SIGINT and type-ahead is kept. ``close()``
/// (also the owner's signal handler's first call) restores it on every path.
/// Ctrl-C drops the line, Ctrl-D on an empty line ends the input. Long lines
/// scroll sideways within the terminal's width; every character counts as
/// one column.
final class LineEditor: Sendable {
    enum Outcome: Sendable, Equatable {
        case line(String)
        /// Ctrl-D on an empty line, or the end of the terminal's input.
        case end
        /// ``close()`` was called while reading.
        case closed
    }

    typealias Completer = @Sendable ([Character], Int) -> ShellCompletion?

    private struct State {
        var buffer: LineBuffer
        var decoder = KeyDecoder()
        /// Keys read after an Enter, for the next line.
        var typedAhead: [Key] = []
        var prompt = ""
        var editing = false
        var closed = false
    }

    private let input: Int32 = 0
    private let output: Int32 = 1
    private let saved: System.TerminalSettings
    private let wake: (read: Int32, write: Int32)
    private let state: Mutex<State>
    private let completer: Completer

    /// Nil when stdin or stdout is not a terminal.
    init?(history: [String], completer: @escaping Completer) {
        guard System.isTerminal(0), System.isTerminal(1), case .success(let settings) = System.terminalSettings(0),
              case .success(let pipe) = System.pipe()
        else { return nil }
        saved = settings
        wake = pipe
        state = Mutex(State(buffer: LineBuffer(history: history)))
        self.completer = completer
    }

    deinit {
        close()
        System.close(wake.read)
        System.close(wake.write)
    }

    /// Reads one line on a thread of its own and hands it to `done` (on that thread).
    func read(prompt: String, _ done: @escaping @Sendable (Outcome) -> Void) {
        System.startThread(named: "qmpbook-shell-input") { done(self.readBlocking(prompt: prompt)) }
    }

    /// Adds `line` to the history Up walks through.
    func remember(_ line: String) {
        state.withLock { $0.buffer.remember(line) }
    }

    /// Prints `text` (a line break is added) above the line being typed, or as is between lines.
    func printAbove(_ text: String) {
        state.withLock { state in
            if state.editing {
                write("\r\u{1b}[K" + text + "\n")
                draw(state)
            } else {
                write(text + "\n")
            }
        }
    }

    /// Puts the terminal back as it was and ends a read in progress (``Outcome/closed``). Idempotent.
    func close() {
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        _ = System.setTerminalSettings(input, saved)
        if first { System.poke(wake.write) }
    }

    private func readBlocking(prompt: String) -> Outcome {
        let started = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            _ = System.setTerminalSettings(input, saved.forLineEditing)
            state.prompt = prompt
            state.editing = true
            draw(state)
            return true
        }
        guard started else { return .closed }
        defer {
            state.withLock { state in
                state.editing = false
                if !state.closed { _ = System.setTerminalSettings(input, saved) }
            }
        }
        var bytes = [UInt8](repeating: 0, count: 4096)
        while true {
            if let outcome = state.withLock({ state -> Outcome? in
                var outcome: Outcome?
                while outcome == nil, !state.typedAhead.isEmpty {
                    outcome = handle(state.typedAhead.removeFirst(), &state)
                }
                return outcome
            }) {
                return outcome
            }
            let ready = System.poll([(input, false), (wake.read, false)], timeout: nil)
            if ready[1].readable || state.withLock({ $0.closed }) { return .closed }
            guard ready[0].readable || ready[0].hungUp else { continue }
            let count = bytes.withUnsafeMutableBytes { (try? System.read(input, into: $0).get()) ?? 0 }
            if count == 0 {
                write("\n")
                return .end
            }
            state.withLock { state in
                state.typedAhead += state.decoder.feed(Array(bytes.prefix(count)))
            }
        }
    }

    /// Applies one key; the outcome when it ends the line.
    private func handle(_ key: Key, _ state: inout State) -> Outcome? {
        switch key {
        case .character(let character):
            state.buffer.insert([character])
        case .enter:
            state.buffer.moveEnd()
            draw(state)
            write("\n")
            let line = state.buffer.finish()
            state.buffer.remember(line)
            state.editing = false
            return .line(line)
        case .endOfInput:
            if state.buffer.characters.isEmpty {
                write("\n")
                state.editing = false
                return .end
            }
            state.buffer.delete()
        case .interrupt:
            state.buffer.moveEnd()
            draw(state)
            write("^C\n")
            _ = state.buffer.finish()
        case .tab:
            complete(&state)
        case .backspace: state.buffer.backspace()
        case .delete: state.buffer.delete()
        case .left: state.buffer.move(by: -1)
        case .right: state.buffer.move(by: 1)
        case .home: state.buffer.moveHome()
        case .end: state.buffer.moveEnd()
        case .wordLeft: state.buffer.moveWordLeft()
        case .wordRight: state.buffer.moveWordRight()
        case .up: state.buffer.historyBack()
        case .down: state.buffer.historyForward()
        case .killToEnd: state.buffer.killToEnd()
        case .killToStart: state.buffer.killToStart()
        case .killWord: state.buffer.killWord()
        case .redraw: write("\u{1b}[H\u{1b}[2J")
        case .ignored: return nil
        }
        draw(state)
        return nil
    }

    /// Tab: a sole candidate is written in; several are shown above the line once they share no longer start.
    private func complete(_ state: inout State) {
        guard let completion = completer(state.buffer.characters, state.buffer.cursor) else {
            write("\u{07}")
            return
        }
        if completion.candidates.count == 1, let only = completion.candidates.first {
            state.buffer.replace(from: completion.start, with: only + completion.suffix)
            return
        }
        let common = completion.commonPrefix
        if common.count > completion.typed.count {
            state.buffer.replace(from: completion.start, with: common)
            return
        }
        write("\r\u{1b}[K" + Self.columns(completion.candidates, width: System.terminalColumns(output) ?? 80) + "\n")
    }

    /// The candidates in columns, at most 200 of them.
    static func columns(_ names: [String], width: Int) -> String {
        let shown = names.prefix(200)
        let cell = (shown.map(\.count).max() ?? 0) + 2
        let perLine = max(1, width / max(cell, 1))
        var lines: [String] = []
        var index = shown.startIndex
        while index < shown.endIndex {
            let row = shown[index..<min(index + perLine, shown.endIndex)]
            lines.append(row.map { $0.padded(to: cell) }.joined().trimmingWhitespace())
            index += perLine
        }
        if names.count > shown.count { lines.append("… and \(names.count - shown.count) more") }
        return lines.joined(separator: "\n")
    }

    /// Draws the prompt and the visible part of the line, the cursor in place.
    private func draw(_ state: State) {
        let columns = System.terminalColumns(output) ?? 80
        let characters = state.buffer.characters
        let cursor = state.buffer.cursor
        let room = max(columns - state.prompt.count - 1, 8)
        let first = cursor >= room ? cursor - room + 1 : 0
        let shown = characters[first..<min(characters.count, first + room)]
        var text = "\r" + state.prompt + String(shown) + "\u{1b}[K"
        let back = first + shown.count - cursor
        if back > 0 { text += "\u{1b}[\(back)D" }
        write(text)
    }

    private func write(_ text: String) {
        _ = System.writeAll(output, Array(text.utf8))
    }
}
