import FoundationEssentials
import Playbook
import Synchronization
import QMP

/// A target's serial console while the run drives it (SPEC.md §9): every
/// byte from the moment it opened, kept in memory (the last
/// ``memoryLimit`` bytes) and in `RUNDIR/TARGET.console.log`, searched by
/// `wait-console` from after the previous match, written to by `send-console`.
final class ConsoleRecorder: Sendable {
    let stream: ByteStream
    let address: String
    /// The console log in the run folder, or nil when it could not be created.
    let logPath: String?
    private let state: Mutex<State>

    /// How much output stays searchable in memory; older output is only in the log.
    static let memoryLimit = 8 << 20
    /// How much of the end the report shows.
    static let tailLimit = 4096

    private struct State {
        /// Output from offset `base` on.
        var bytes: [UInt8] = []
        var base = 0
        /// Where each chunk began and when it arrived (for `since`).
        var chunks: [(offset: Int, received: Date)] = []
        /// Where the next search starts: after the previous match.
        var cursor = 0
        /// The console log's descriptor, open for appending.
        var log: Int32?
        var logError: String?
        /// Set once the stream ended: nil inside means it closed cleanly.
        var ended: QMPError??
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0

        var total: Int { base + bytes.count }
    }

    init(stream: ByteStream, address: String, logPath: String?) {
        self.stream = stream
        self.address = address
        var state = State()
        if let logPath {
            // A restarted target's console goes on in the same log.
            switch System.open(logPath, [.writeOnly, .append, .create], permissions: 0o644) {
            case .success(let fd): state.log = fd
            case .failure(let error): state.logError = "cannot create \(logPath): \(error.errno)"
            }
        }
        self.logPath = state.log == nil ? nil : logPath
        self.state = Mutex(state)
    }

    /// Starts recording what the console prints.
    func start() {
        stream.start(onBytes: { [self] bytes in append(bytes) }, onEnd: { [self] error in end(error) })
    }

    private func append(_ chunk: [UInt8]) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.chunks.append((state.total, Date()))
            state.bytes += chunk
            if state.bytes.count > Self.memoryLimit {
                let drop = state.bytes.count - Self.memoryLimit / 2
                state.bytes.removeFirst(drop)
                state.base += drop
                state.chunks.removeAll { $0.offset < state.base }
            }
            if let log = state.log {
                if case .failure(let error) = System.writeAll(log, chunk) {
                    state.logError = "writing \(logPath ?? "the console log") failed: \(error.errno)"
                    System.close(log)
                    state.log = nil
                }
            }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    private func end(_ error: QMPError?) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.ended = .some(error)
            if let log = state.log { System.close(log) }
            state.log = nil
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Writes `text` to the console.
    func send(_ bytes: [UInt8]) throws(QMPError) {
        try stream.send(bytes)
    }

    /// The offset of the first output that arrived at or after `date` (the end when none has).
    func offset(since date: Date) -> Int {
        state.withLock { state in
            state.chunks.first { $0.received >= date }?.offset ?? state.total
        }
    }

    /// What a wait found.
    enum WaitOutcome: Sendable {
        case matched(text: String, groups: [String?], start: Int, end: Int)
        case timedOut
        /// The console closed (the QEMU exited, the peer hung up) before a match.
        case ended(String)
        case cancelled
    }

    /// Searches the output from `start` (default: after the previous match) for
    /// `expression`, waiting until `deadline` for more; a match moves the cursor past it.
    func wait(for expression: RegularExpression, from start: Int?, until deadline: ContinuousClock.Instant) async -> WaitOutcome {
        while true {
            if Task.isCancelled { return .cancelled }
            let (found, ended) = state.withLock { state -> (WaitOutcome?, QMPError??) in
                let from = max(start ?? state.cursor, state.base)
                let outcome = Self.search(expression, in: state.bytes, base: state.base, from: from)
                if case .matched(_, _, _, let end)? = outcome { state.cursor = end }
                return (outcome, state.ended)
            }
            if let found { return found }
            if let ended {
                return .ended(ended?.message ?? "the console closed")
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return .timedOut }
            let woken = await race(timeout: remaining) { [self] in await nextChange() }
            switch woken {
            case .finished: continue
            case .timedOut: return .timedOut
            case .cancelled: return .cancelled
            }
        }
    }

    /// Returns when more output arrives or the console ends (or the task is cancelled).
    private func nextChange() async {
        let id = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.ended != nil || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    private static func search(_ expression: RegularExpression, in bytes: [UInt8], base: Int, from: Int) -> WaitOutcome? {
        let startIndex = from - base
        guard startIndex <= bytes.count else { return nil }
        let text = String(decoding: bytes[startIndex...], as: UTF8.self)
        guard let (range, groups) = expression.firstMatch(in: text) else { return nil }
        let matchStart = from + text[..<range.lowerBound].utf8.count
        let matchEnd = from + text[..<range.upperBound].utf8.count
        // An empty match still moves the cursor, so the next wait cannot match the same place forever.
        return .matched(text: String(text[range]), groups: groups, start: matchStart, end: max(matchEnd, min(matchStart + 1, base + bytes.count)))
    }

    /// The console's last `count` lines, escaped, joined with ` | ` (for messages).
    func lastLines(_ count: Int = 5) -> String {
        let tail = state.withLock { Array($0.bytes.suffix(2048)) }
        let text = Self.readable(tail)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(count)
        return lines.joined(separator: " | ")
    }

    /// `{bytes, tail, log, error}` for the report's target.
    var report: TargetReport.Console {
        state.withLock { state in
            let tail = Self.readable(state.bytes.suffix(Self.tailLimit))
            var error = state.logError
            if case .some(.some(let ended)) = state.ended { error = error ?? ended.message }
            return TargetReport.Console(address: address, bytes: state.total, tail: tail, log: logPath, error: error)
        }
    }

    /// Console bytes as text for people: CRLF read as LF, other control characters as `\xNN`.
    static func readable(_ bytes: some Collection<UInt8>) -> String {
        TerminalText.escape(String(decoding: bytes, as: UTF8.self).replacing("\r\n", with: "\n"))
    }

    func close() async {
        await stream.closeAndWait()
    }
}
