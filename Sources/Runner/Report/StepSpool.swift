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
final class StepSpool: Sendable {
    /// Where one entry's bytes are: the file, then the buffer after its end.
    struct Span: Sendable, Equatable {
        var offset: Int
        var length: Int
    }

    private struct State {
        /// How much of the spool is in the file.
        var written = 0
        /// What comes after it, not yet written.
        var buffer: [UInt8] = []
        /// Whether a write failed: the buffer then keeps all that follows.
        var failed = false
    }

    private static let bufferSize = 1 << 16

    private let fd: Int32
    private let state = Mutex(State())

    private init(fd: Int32) {
        self.fd = fd
    }

    /// A new, empty spool, or nil when no temporary file can be made (the run then keeps its entries in memory).
    static func make() -> StepSpool? {
        let folder = System.environmentValue("TMPDIR").flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        guard case .success(let fd) = System.openUnlinkedFile(in: folder) else { return nil }
        return StepSpool(fd: fd)
    }

    deinit {
        System.close(fd)
    }

    /// Appends `bytes` and says where they are.
    func append(_ bytes: [UInt8]) -> Span {
        state.withLock { state in
            let span = Span(offset: state.written + state.buffer.count, length: bytes.count)
            state.buffer.append(contentsOf: bytes)
            if state.buffer.count >= Self.bufferSize, !state.failed {
                switch System.writeAll(fd, state.buffer) {
                case .success:
                    state.written += state.buffer.count
                    state.buffer.removeAll(keepingCapacity: true)
                case .failure:
                    // Part of the buffer may be in the file now; the buffer stays the copy that counts.
                    state.failed = true
                }
            }
            return span
        }
    }

    /// The bytes at `span`, or nil when the file cannot give them back.
    func read(_ span: Span) -> [UInt8]? {
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
