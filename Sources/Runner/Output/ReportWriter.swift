import QMP

/// Writes the report and the JUnit file whole and atomically (through
/// ``AtomicFile``), so a reader never sees half a report, whatever happens
/// to the run; `-` means standard output.
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
            if case .failure(let error) = System.writeAll(1, bytes) {
                throw RunnerError(.infrastructure, "cannot write to stdout: \(error)")
            }
            return
        }
        if case .failure(let error) = AtomicFile.write(bytes, to: path) {
            throw RunnerError(.infrastructure, "cannot write \(path): \(error)")
        }
    }
}
