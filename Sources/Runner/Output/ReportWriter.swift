import QMP

/// Writes the report, the JUnit file and the HTML page whole and atomically
/// (through ``AtomicFile``), so a reader never sees half a report, whatever
/// happens to the run; `-` means standard output. A path that is not a
/// regular file (`/dev/null`, a FIFO, `/dev/stdout`, `/dev/fd/N`) is written
/// through, never replaced; a symbolic link's target is replaced, not the link.
public enum ReportWriter {
    /// The path that means standard output.
    public static let standardOutput = "-"

    /// Writes `report` as pretty JSON to `path` (or stdout for `-`), 64 KiB at
    /// a time: the steps a run spooled are copied, never all in memory at once.
    /// - Throws: ``RunnerError`` (infrastructure) when the file cannot be written.
    public static func write(_ report: RunReport, to path: String) throws(RunnerError) {
        func produce(_ fd: Int32) -> Result<Void, SystemError> {
            var output = ReportOutput(fd: fd)
            report.write(to: &output, indent: 2)
            output.bytes.append(UInt8(ascii: "\n"))
            output.flush()
            return output.error.map { .failure($0) } ?? .success(())
        }
        if path == standardOutput {
            if System.closedStandardDescriptors.contains(1) {
                throw RunnerError(.infrastructure, "cannot write to stdout: it is closed")
            }
            if case .failure(let error) = produce(1) {
                throw RunnerError(.infrastructure, "cannot write to stdout: \(error)")
            }
            return
        }
        if case .failure(let error) = AtomicFile.write(to: path, produce) {
            throw RunnerError(.infrastructure, "cannot write \(path): \(error)")
        }
    }

    /// Writes `value` as pretty JSON to `path` (or stdout for `-`).
    /// - Throws: ``RunnerError`` (infrastructure) when the file cannot be written.
    public static func write(_ value: JSONValue, to path: String) throws(RunnerError) {
        var bytes = value.prettyJSONBytes
        bytes.append(UInt8(ascii: "\n"))
        try write(bytes, to: path)
    }

    /// Writes `bytes` to `path` atomically (or to stdout for `-`).
    /// - Throws: ``RunnerError`` (infrastructure) when the file cannot be written.
    public static func write(_ bytes: [UInt8], to path: String) throws(RunnerError) {
        if path == standardOutput {
            if System.closedStandardDescriptors.contains(1) {
                throw RunnerError(.infrastructure, "cannot write to stdout: it is closed")
            }
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
