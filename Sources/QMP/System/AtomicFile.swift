/// Writes a file whole or not at all: the bytes go to a temporary file in
/// the same folder, are flushed to disk, then renamed over the destination.
///
/// ```swift
/// try AtomicFile.write(Array("{}\n".utf8), to: "run.report.json").get()
/// ```
///
/// A reader sees the old file or the new one, never half of one. On failure
/// the destination is left as it was and the temporary file is removed; the
/// error names the failed call (`open DIR/x.tmp-…: Permission denied`).
/// The one place the report, the JUnit file and the schema cache are written.
package enum AtomicFile {
    /// Writes `bytes` to `path` with `permissions` (for a new file).
    package static func write(_ bytes: [UInt8], to path: String, permissions: UInt32 = 0o644) -> Result<Void, SystemError> {
        let temporary = "\(path).tmp-\(System.processID)-\(UInt32.random(in: 0 ... .max))"
        let written = System.open(temporary, [.writeOnly, .create, .exclusive], permissions: permissions).flatMap { fd in
            defer { System.close(fd) }
            return System.writeAll(fd, bytes).flatMap { System.fsync(fd) }
        }.flatMap {
            System.rename(temporary, path)
        }
        if case .failure = written { System.unlink(temporary) }
        return written
    }
}
