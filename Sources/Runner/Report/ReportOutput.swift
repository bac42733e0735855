import QMP

/// Where a report's bytes go as it is written: gathered in memory and,
/// for a file, written out 64 KiB at a time, so a report of 50,000 steps
/// never needs to be whole in memory. The first failed write is kept and
/// ends the writing.
struct ReportOutput {
    var bytes: [UInt8] = []
    /// The descriptor the bytes go to; nil to keep them all in ``bytes``.
    let fd: Int32?
    private(set) var error: SystemError?

    init(fd: Int32? = nil) {
        self.fd = fd
        if fd != nil { bytes.reserveCapacity(Self.chunk + 4096) }
    }

    private static let chunk = 1 << 16

    /// Writes what has gathered once it is a chunk.
    mutating func flushWhenFull() {
        if bytes.count >= Self.chunk { flush() }
    }

    /// Writes what has gathered (nothing when the bytes stay in memory).
    mutating func flush() {
        guard let fd else { return }
        if error == nil, case .failure(let failure) = System.writeAll(fd, bytes) { error = failure }
        bytes.removeAll(keepingCapacity: true)
    }
}
