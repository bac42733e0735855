import QMP
import Synchronization

/// Where a run's finished step entries wait for the report: their JSON, as
/// the report file will hold it, appended to a file no path names (created
/// in `$TMPDIR` or `/tmp` and unlinked at once, so nothing is left behind
/// however the run ends). A run of 50,000 steps then holds a few bytes per
/// step in memory instead of the entries; the report is written by copying.
///
/// Appends gather in a 64 KiB buffer before they are written, so a step
/// costs no system call. Should the file refuse a write (a full disk), what
/// it has is still read from it and everything after stays in memory.
///
/// A spool made with a connection's executor writes the entries given to
/// ``appendLater(_:)`` when that connection is idle
/// (``QMP/ConnectionExecutor/whenIdle(_:)``): a step's entry is then
/// turned into JSON while the next step's command is on its way to QEMU,
/// not between a reply and the next command.
final class StepSpool: Sendable {
    /// Where one entry's bytes are: the file, then the buffer after its end.
    struct Span: Sendable, Equatable {
        var offset: Int
        var length: Int
    }

    /// An entry given to ``appendLater(_:)``: its number among them.
    struct Later: Sendable, Equatable {
        fileprivate var number: Int
    }

    private struct State {
        /// How much of the spool is in the file.
        var written = 0
        /// What comes after it, not yet written.
        var buffer: [UInt8] = []
        /// Whether a write failed: the buffer then keeps all that follows.
        var failed = false
        /// Where the entries given to ``StepSpool/appendLater(_:)`` are, by number, once written.
        var laterSpans: [Span] = []
        /// Those not written yet, numbered from `laterSpans.count` on.
        var waiting: [StepReport] = []
        /// Whether the connection's idle lane has been asked to write them.
        var writeQueued = false

        /// Appends `bytes` to the buffer and, when it is full, writes it to `fd`.
        mutating func append(_ bytes: [UInt8], fd: Int32) -> Span {
            let span = Span(offset: written + buffer.count, length: bytes.count)
            buffer.append(contentsOf: bytes)
            flushWhenFull(fd: fd)
            return span
        }

        /// Writes the waiting entries' JSON to the buffer, as the report will hold it.
        mutating func writeWaiting(fd: Int32) {
            for step in waiting {
                let start = buffer.count
                step.write(to: &buffer, indent: ReportSteps.reportIndent, level: ReportSteps.reportLevel)
                laterSpans.append(Span(offset: written + start, length: buffer.count - start))
                flushWhenFull(fd: fd)
            }
            waiting.removeAll(keepingCapacity: true)
        }

        private mutating func flushWhenFull(fd: Int32) {
            guard buffer.count >= StepSpool.bufferSize, !failed else { return }
            switch System.writeAll(fd, buffer) {
            case .success:
                written += buffer.count
                buffer.removeAll(keepingCapacity: true)
            case .failure:
                // Part of the buffer may be in the file now; the buffer stays the copy that counts.
                failed = true
            }
        }
    }

    fileprivate static let bufferSize = 1 << 16

    private let fd: Int32
    private let state = Mutex(State())
    /// How many entries have been read back (``read(_:)``, ``Reader``): an
    /// output that reads each entry once stays linear in the steps, and the
    /// tests hold the outputs to that (one that read them again per event was quadratic).
    private let readBacks = Atomic<Int>(0)

    /// How many entries have been read back so far.
    var entriesReadBack: Int { readBacks.load(ordering: .relaxed) }

    /// Where the entries given to ``appendLater(_:)`` are written; nil to write them at once.
    private let idleLane: ConnectionExecutor?

    private init(fd: Int32, idleLane: ConnectionExecutor?) {
        self.fd = fd
        self.idleLane = idleLane
    }

    /// A new, empty spool, or nil when no temporary file can be made (the
    /// run then keeps its entries in memory). With `idleLane`, the entries
    /// given to ``appendLater(_:)`` are written when that connection is idle.
    static func make(writingWhenIdle idleLane: ConnectionExecutor? = nil) -> StepSpool? {
        let folder = System.environmentValue("TMPDIR").flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        guard case .success(let fd) = System.openUnlinkedFile(in: folder) else { return nil }
        return StepSpool(fd: fd, idleLane: idleLane)
    }

    deinit {
        System.close(fd)
    }

    /// Appends `bytes` and says where they are.
    func append(_ bytes: [UInt8]) -> Span {
        state.withLock { $0.append(bytes, fd: fd) }
    }

    /// Appends `step`'s JSON, when the connection is next idle or at once
    /// (without an idle lane); ``span(of:)`` says where it is.
    func appendLater(_ step: consuming StepReport) -> Later {
        var step = Optional(step)  // moved into the lock's closure, not copied
        let (later, queue) = state.withLock { state -> (Later, Bool) in
            if let step = step.take() { state.waiting.append(step) }
            let later = Later(number: state.laterSpans.count + state.waiting.count - 1)
            guard idleLane != nil else {
                state.writeWaiting(fd: fd)
                return (later, false)
            }
            defer { state.writeQueued = true }
            return (later, !state.writeQueued)
        }
        if queue, let idleLane {
            idleLane.whenIdle { [self] in writeWaitingEntries() }
        }
        return later
    }

    /// How many entries given to ``appendLater(_:)`` are not written yet.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// What the idle lane runs: writes the entries ``appendLater(_:)`` was given.
    /// Never inlined: `Benchmarks/callgrind/run.sh` counts it by name.
    @inline(never)
    private func writeWaitingEntries() {
        state.withLock { state in
            state.writeQueued = false
            state.writeWaiting(fd: fd)
        }
    }

    /// Where the entry given to ``appendLater(_:)`` is, written now if it was still waiting.
    func span(of later: Later) -> Span {
        state.withLock { state in
            if later.number >= state.laterSpans.count { state.writeWaiting(fd: fd) }
            return state.laterSpans[later.number]
        }
    }

    /// The bytes at `span`, or nil when the file cannot give them back.
    func read(_ span: Span) -> [UInt8]? {
        readBacks.add(1, ordering: .relaxed)
        if let buffered = buffered(span) { return buffered }
        return readFile(at: span.offset, count: span.length)
    }

    /// The bytes at `span` when they are still in the buffer.
    private func buffered(_ span: Span) -> [UInt8]? {
        state.withLock { state in
            guard span.offset >= state.written else { return nil }
            let start = span.offset - state.written
            return Array(state.buffer[start ..< start + span.length])
        }
    }

    /// `count` bytes of the file from `offset`, or nil when it cannot give them.
    private func readFile(at offset: Int, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = bytes.withUnsafeMutableBytes { buffer in
                System.pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: Int64(offset + done))
            }
            guard case .success(let read) = result, read > 0 else { return nil }
            done += read
        }
        return bytes
    }

    /// Reads entries back in the order they were written, the file a window
    /// of at least 64 KiB at a time: one `pread` for many entries, where
    /// ``StepSpool/read(_:)`` makes one per entry.
    struct Reader {
        private let spool: StepSpool
        private var window: [UInt8] = []
        private var windowOffset = 0

        init(_ spool: StepSpool) {
            self.spool = spool
        }

        /// Appends the bytes at `span` to `output`; false when the file cannot give them back.
        mutating func append(_ span: Span, to output: inout [UInt8]) -> Bool {
            spool.readBacks.add(1, ordering: .relaxed)
            let start = span.offset - windowOffset
            if start >= 0, start + span.length <= window.count {
                output.append(contentsOf: window[start ..< start + span.length])
                return true
            }
            if let buffered = spool.buffered(span) {
                output.append(contentsOf: buffered)
                return true
            }
            // In the file (an entry is never split between the file and the buffer).
            let inFile = spool.state.withLock { $0.written } - span.offset
            let count = min(max(StepSpool.bufferSize, span.length), inFile)
            guard count >= span.length, let bytes = spool.readFile(at: span.offset, count: count) else { return false }
            window = bytes
            windowOffset = span.offset
            output.append(contentsOf: window[0 ..< span.length])
            return true
        }
    }
}
