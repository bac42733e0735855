internal import Glibc

extension JSONValue {
    /// Appends `text`, JSON as ``write(to:indent:level:)`` lays it out with
    /// an indent of spaces, to `output` without its layout: the text the same
    /// value has compact (`indent` nil), made without parsing it.
    ///
    /// ```swift
    /// var bytes: [UInt8] = []
    /// JSONValue.appendCompacted(Array("{\n  \"a: b\": [\n    \"c: d\"\n  ]\n}".utf8), to: &bytes)
    /// // {"a: b":["c: d"]}
    /// ```
    ///
    /// That layout puts each member on its own line, and its only spaces
    /// outside strings are the indentation after a line break and the one
    /// after a key's colon; a string never holds a raw line break (the
    /// writer escapes it). So the text is copied line by line without the
    /// indentation, and only a key at the start of a line is read byte by
    /// byte, to drop the space after its colon.
    package static func appendCompacted(_ text: [UInt8], to output: inout [UInt8]) {
        let compacted = text.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: source.count) { target, written in
                written = compact(source, into: target)
            }
        }
        output.append(contentsOf: compacted)
    }

    /// Writes the compact text of `source` to `target` (at least as large); returns its length.
    private static func compact(_ source: UnsafeBufferPointer<UInt8>, into target: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard let base = source.baseAddress, let out = target.baseAddress else { return 0 }
        let end = source.count
        var position = 0
        var written = 0
        func copy(_ from: Int, _ to: Int) {
            guard from < to else { return }
            memcpy(out + written, base + from, to - from)
            written += to - from
        }
        while position < end {
            while position < end, base[position] == UInt8(ascii: " ") { position += 1 }
            let lineEnd = memchr(base + position, 0x0A, end - position).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base } ?? end
            if position < lineEnd, base[position] == UInt8(ascii: "\"") {
                // A string opens the line: a key when `: ` follows it.
                var close = position + 1
                while close < lineEnd, base[close] != UInt8(ascii: "\"") {
                    close += base[close] == UInt8(ascii: "\\") ? 2 : 1
                }
                if close + 2 < lineEnd, base[close + 1] == UInt8(ascii: ":"), base[close + 2] == UInt8(ascii: " ") {
                    copy(position, close + 2)
                    position = close + 3
                }
            }
            copy(position, lineEnd)
            position = lineEnd + 1
        }
        return written
    }
}
