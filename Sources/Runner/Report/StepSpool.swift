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
        let buffered: [UInt8]? = state.withLock { state in
            guard span.offset >= state.written else { return nil }
            let start = span.offset - state.written
            return Array(state.buffer[start ..< start + span.length])
        }
        if let buffered { return buffered }
        var bytes = [UInt8](repeating: 0, count: span.length)
        var done = 0
        while done < span.length {
            let result = bytes.withUnsafeMutableBytes { buffer in
                System.pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: Int64(span.offset + done))
            }
            guard case .success(let count) = result, count > 0 else { return nil }
            done += count
        }
        return bytes
    }
}
