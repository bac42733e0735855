import QMP

/// Writes files whole and atomically: a temporary file next to the
/// destination, flushed, then renamed over it, so a reader never sees half a
/// report, whatever happens to the run.
public enum ReportWriter {
    /// The path that means standard output.
    public static let standardOutput = "-"

    /// Writes `value` as pretty JSON to `path` (or stdout for `-`).
    /// - Throws: ``RunnerError`` (infrastructure) when the file cannot be written.
    public static func write(_ value: JSONValue, to path: String) throws(RunnerError) {
        try write(Array((value.prettyJSONText + "\n").utf8), to: path)
    }

    /// Writes `bytes` to `path` atomically (or to stdout for `-`).
    /// - Throws: ``RunnerError`` (infrastructure) when the file cannot be written.
    public static func write(_ bytes: [UInt8], to path: String) throws(RunnerError) {
        if path == standardOutput {
            do {
                try System.writeAll(1, bytes)
            } catch {
                throw RunnerError(.infrastructure, "cannot write to stdout: \(error)")
            }
            return
        }
        let temporary = "\(path).tmp-\(System.processID)"
        do {
            let fd = try System.open(temporary, flags: System.writeOnlyCreateTruncate, permissions: 0o644)
            do {
                try System.writeAll(fd, bytes)
                try System.fsync(fd)
                System.close(fd)
            } catch {
                System.close(fd)
                throw error
            }
            try System.rename(temporary, path)
        } catch {
            System.unlink(temporary)
            throw RunnerError(.infrastructure, "cannot write \(path): \(error)")
        }
    }
}
