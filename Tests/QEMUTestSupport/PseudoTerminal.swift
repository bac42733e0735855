import Foundation
import Glibc
import QMP
import Synchronization

/// A program run on a real pseudo-terminal opened by the test: keys go in
/// through the master side, what the program draws comes out and is kept
/// in a small screen model (``TerminalScreen``) to look at.
///
/// ```swift
/// let terminal = try PseudoTerminal(try Executables.qmpbook, ["shell", address])
/// try await terminal.waitFor("qmp> ")
/// terminal.type("query-nam\t")
/// try await terminal.waitFor { $0.currentLine == "qmp> query-name " }
/// ```
///
/// Every wait is bounded (a wait-for-output loop on poll(2), never a
/// sleep); ``close()`` (also on deinit) kills the program by pid if it
/// still runs and closes both sides.
public final class PseudoTerminal: @unchecked Sendable {
    // @unchecked Sendable: the descriptors and the Process are set in init;
    // the output and the screen are behind `state`.
    private let master: Int32
    /// The terminal side, kept open by the test too: its settings can be read after the program ends.
    public let slave: Int32
    private let process: Process
    public let pid: Int32
    /// A pidfd of the program: readable once it has exited, whoever reaps it
    /// (Foundation may notice an exit late, or not at all while a child that
    /// inherited its descriptors lives on).
    private let exited: Int32
    private let state: Mutex<Output>

    private struct Output {
        var bytes: [UInt8] = []
        var screen: TerminalScreen
        var closed = false
    }

    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], columns: Int = 160, rows: Int = 40
    ) throws {
        // posix_openpt/grantpt/unlockpt/ptsname are not in Swift's Glibc module; on Linux
        // they are /dev/ptmx plus two ioctls, whose request numbers Swift cannot compute from
        // their _IOW/_IOR macros: TIOCSPTLCK (unlock) and TIOCGPTN (the pts number).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, UInt(0x4004_5431), &unlock) == 0, ioctl(master, UInt(0x8004_5430), &number) == 0 else {
            throw PeerFailure(message: "cannot open a pseudo-terminal: errno \(errno)")
        }
        let name = "/dev/pts/\(number)"
        let slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else { throw PeerFailure(message: "cannot open \(name): errno \(errno)") }
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        self.master = master
        self.slave = slave
        state = Mutex(Output(screen: TerminalScreen(columns: columns)))
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        merged["TERM"] = "xterm"
        process.environment = merged
        let handle = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = handle
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        pid = process.processIdentifier
        exited = (try? System.processDescriptor(pid).get()) ?? -1
    }

    deinit { close() }

    /// Sends `text` as typed keys (`\t` is Tab, `\r` Enter, `\u{03}` Ctrl-C, `\u{1b}[A` Up).
    public func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Everything the program wrote so far, escape sequences included.
    public var output: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }

    /// The screen as drawn so far.
    public var screen: TerminalScreen { state.withLock { $0.screen } }

    /// Waits until `condition` holds for the screen, reading output meanwhile, for at most `timeout`.
    /// - Throws: when it does not hold in time, with the screen in the message.
    public func waitFor(
        _ what: String = "the condition", timeout: Duration = .seconds(20), _ condition: @escaping @Sendable (TerminalScreen) -> Bool
    ) async throws {
        let held = await onOwnThread { self.pump(until: condition, timeout: timeout) }
        if !held {
            throw PeerFailure(message: "timed out waiting for \(what); the screen:\n\(screen.text)\n--- raw output:\n\(output.debugDescription)")
        }
    }

    /// Waits until the screen shows `text` somewhere.
    public func waitFor(_ text: String, timeout: Duration = .seconds(20)) async throws {
        try await waitFor("'\(text)'", timeout: timeout) { $0.text.contains(text) }
    }

    /// Waits for the program to exit (reading its output meanwhile); its exit status
    /// (the signal's number when a signal ended it), or nil after `timeout`.
    public func waitForExit(timeout: Duration = .seconds(20)) async -> Int32? {
        let exited = self.exited
        let done = await onOwnThread {
            self.pump(until: { _ in System.poll([(exited, false)], timeout: .zero).first?.readable == true }, timeout: timeout)
        }
        guard done else { return nil }
        if !process.isRunning { return process.terminationStatus }
        // Not reaped by Foundation yet: read the status without reaping it.
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else {
            return process.isRunning ? nil : process.terminationStatus
        }
        return info._sifields._sigchld.si_status
    }

    /// Whether the terminal's echo and line buffering are on (as a shell leaves them).
    public var isInCookedMode: Bool {
        var settings = termios()
        guard tcgetattr(slave, &settings) == 0 else { return false }
        return settings.c_lflag & tcflag_t(ECHO) != 0 && settings.c_lflag & tcflag_t(ICANON) != 0
    }

    /// Kills the program if it still runs and closes the terminal.
    public func close() {
        state.withLock { state in
            if !state.closed {
                // Only while it has not exited: a pid that exited stays ours (unreaped or reaped by
                // Foundation) until then, never another process's.
                if System.poll([(exited, false)], timeout: .zero).first?.readable != true { kill(pid, SIGKILL) }
                System.close(exited)
                Glibc.close(master)
                Glibc.close(slave)
                state.closed = true
            }
        }
    }

    private func pump(until condition: (TerminalScreen) -> Bool, timeout: Duration) -> Bool {
        let end = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if condition(screen) { return true }
            let left = end - ContinuousClock.now
            if left <= .zero { return false }
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 100))
            guard poll(&descriptor, 1, milliseconds) > 0, descriptor.revents & Int16(POLLIN) != 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            guard count > 0 else { continue }
            let chunk = Array(buffer.prefix(count))
            state.withLock { state in
                state.bytes += chunk
                state.screen.feed(chunk)
            }
        }
    }
}

/// A tiny terminal: enough of one to see what a line editor drew. Printable
/// characters, `\r`, `\n`, backspace, `ESC [ K` (erase to the end of the
/// line), `ESC [ N C`/`D` (cursor right/left), `ESC [ H` and `ESC [ 2 J`;
/// colours and other sequences are ignored. Lines do not wrap.
public struct TerminalScreen: Sendable {
    public var lines: [[Character]] = [[]]
    public var row = 0
    public var column = 0
    public var columns: Int
    private var pending: [UInt8] = []

    public init(columns: Int) { self.columns = columns }

    /// The screen's lines, trailing spaces trimmed, joined by line breaks.
    public var text: String { lines.map(Self.trimmed).joined(separator: "\n") }

    /// The line the cursor is on.
    public var currentLine: String { Self.trimmed(lines[row]) }

    /// The lines above the cursor's, the latest last.
    public var linesAbove: [String] { lines[..<row].map(Self.trimmed) }

    private static func trimmed(_ line: [Character]) -> String {
        var line = line
        while line.last == " " { line.removeLast() }
        return String(line)
    }

    public mutating func feed(_ bytes: [UInt8]) {
        pending += bytes
        var index = 0
        while index < pending.count {
            let byte = pending[index]
            if byte == 0x1B {
                guard let length = escape(at: index) else { break }
                index += length
                continue
            }
            if byte >= 0x80 {
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                guard index + length <= pending.count else { break }
                put(String(decoding: pending[index..<(index + length)], as: UTF8.self).first ?? "?")
                index += length
                continue
            }
            switch byte {
            case 0x0D: column = 0
            case 0x0A:
                row += 1
                if row == lines.count { lines.append([]) }
            case 0x08: column = max(column - 1, 0)
            case 0x20..<0x7F: put(Character(Unicode.Scalar(byte)))
            default: break
            }
            index += 1
        }
        pending.removeFirst(index)
    }

    private mutating func put(_ character: Character) {
        while lines[row].count <= column { lines[row].append(" ") }
        lines[row][column] = character
        column += 1
    }

    /// Applies the sequence at `index`; its length, or nil when it is not complete yet.
    private mutating func escape(at index: Int) -> Int? {
        guard index + 1 < pending.count else { return nil }
        guard pending[index + 1] == UInt8(ascii: "[") else { return 2 }
        var end = index + 2
        while end < pending.count, (0x30...0x3F).contains(pending[end]) { end += 1 }
        guard end < pending.count else { return nil }
        let parameter = Int(String(decoding: pending[(index + 2)..<end], as: UTF8.self)) ?? 1
        switch pending[end] {
        case UInt8(ascii: "K"): if lines[row].count > column { lines[row].removeSubrange(column...) }
        case UInt8(ascii: "C"): column += parameter
        case UInt8(ascii: "D"): column = max(column - parameter, 0)
        case UInt8(ascii: "H"): (row, column) = (0, 0)
        case UInt8(ascii: "J"): lines = Array(repeating: [], count: row + 1)
        default: break
        }
        return end - index + 1
    }
}
