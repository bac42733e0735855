import Testing
@testable import QMP

@Suite struct LineFramerTests {
    static let stream = Array((#"{"QMP": {"version": {}}}"# + "\r\n"
        + #"{"event": "STOP", "data": {}}"# + "\n"
        + "\r\n\n"
        + #"{"return": {"text": "a\r b"}, "id": 1}"# + "\r\n"
        + #"{"return": {}, "id": 2}"# + "\n").utf8)

    static let expected = [
        #"{"QMP": {"version": {}}}"#,
        #"{"event": "STOP", "data": {}}"#,
        #"{"return": {"text": "a\r b"}, "id": 1}"#,
        #"{"return": {}, "id": 2}"#,
    ]

    static func lines(of bytes: [UInt8], chunkSize: Int, maximum: Int = 1 << 20) throws(QMPError) -> [String] {
        var framer = LineFramer(maximumMessageSize: maximum)
        var lines: [String] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunkSize, bytes.count)
            framer.append(Array(bytes[offset..<end]))
            offset = end
            while let line = try framer.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
        }
        return lines
    }

    @Test(arguments: 1...LineFramerTests.stream.count)
    func splitsTheSameLinesWhateverTheChunkSize(chunkSize: Int) throws {
        #expect(try Self.lines(of: Self.stream, chunkSize: chunkSize) == Self.expected)
    }

    @Test func keepsAnUnfinishedLineUntilItsNewline() throws {
        var framer = LineFramer(maximumMessageSize: 100)
        framer.append(Array(#"{"return""#.utf8))
        #expect(try framer.nextLine() == nil)
        #expect(framer.bufferedCount == 9)
        framer.append(Array(": {}}\r\n".utf8))
        #expect(try framer.nextLine().map { String(decoding: $0, as: UTF8.self) } == #"{"return": {}}"#)
        #expect(try framer.nextLine() == nil)
        #expect(framer.bufferedCount == 0)
    }

    @Test func acceptsALineOfExactlyTheMaximum() throws {
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 64)
        #expect(try Self.lines(of: line + [0x0D, 0x0A], chunkSize: 7, maximum: 64) == [String(repeating: "x", count: 64)])
    }

    @Test func rejectsACompleteLinePastTheMaximum() {
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 65) + [0x0A]
        let error = #expect(throws: QMPError.self) { try Self.lines(of: line, chunkSize: line.count, maximum: 64) }
        #expect(error?.code == .messageTooLarge)
    }

    @Test func rejectsAnEndlessLineWithBoundedMemory() {
        var framer = LineFramer(maximumMessageSize: 1 << 10)
        let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 100)
        var error: QMPError?
        for _ in 0..<1_000 {
            framer.append(chunk)
            do {
                _ = try framer.nextLine()
            } catch let caught {
                error = caught
                break
            }
            #expect(framer.bufferedCount <= (1 << 10) + chunk.count)
        }
        #expect(error?.code == .messageTooLarge)
        #expect(framer.bufferedCount <= (1 << 10) + chunk.count)
    }

    @Test func bytesReadAheadOfTheGreetingAreKept() throws {
        // The greeting and the first reply in one read: nothing is lost.
        var framer = LineFramer(maximumMessageSize: 1 << 10)
        framer.append(Array((#"{"QMP": {}}"# + "\r\n" + #"{"return": {}, "id": 1}"# + "\r\n" + #"{"eve"#).utf8))
        #expect(try framer.nextLine() != nil)
        #expect(try framer.nextLine().map { String(decoding: $0, as: UTF8.self) } == #"{"return": {}, "id": 1}"#)
        #expect(try framer.nextLine() == nil)
        #expect(framer.bufferedCount == 5)
    }

    /// The word-at-a-time newline search finds exactly the first newline at
    /// every offset, among bytes one bit away from it (0x0B, 0x08, 0x8A, 0x0E)
    /// that a careless zero-byte trick would flag.
    @Test func findsTheFirstNewlineAtEveryOffsetAmongNearMisses() {
        let nearMisses: [UInt8] = [0x0B, 0x08, 0x8A, 0x0E, 0x09, 0x00, 0xFF, 0x1A]
        for length in 0..<40 {
            var bytes = (0..<length).map { nearMisses[$0 % nearMisses.count] }
            bytes.withUnsafeBufferPointer { buffer in
                for start in 0...length {
                    #expect(LineFramer.firstNewline(in: buffer, from: start) == nil)
                }
            }
            for newline in 0..<length {
                let saved = bytes[newline]
                bytes[newline] = 0x0A
                if newline + 1 < length { bytes[length - 1] = 0x0A }
                bytes.withUnsafeBufferPointer { buffer in
                    for start in 0...newline {
                        #expect(LineFramer.firstNewline(in: buffer, from: start) == newline)
                    }
                }
                bytes[newline] = saved
                if newline + 1 < length { bytes[length - 1] = nearMisses[(length - 1) % nearMisses.count] }
            }
        }
    }
}
