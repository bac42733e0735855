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
/// The one place the report, the JUnit file, the HTML page and the schema
/// cache are written.
///
/// Only a regular file (or a path where nothing is yet) is replaced: a
/// symbolic link is followed and its target replaced (the temporary file
/// goes next to the target, so the link stays a link); anything else — a
/// device such as `/dev/null`, a FIFO, `/dev/stdout`, `/dev/fd/N`, any path
/// through `/proc` — is opened and written *through*, never renamed over.
/// See ``destination(of:)``.
package enum AtomicFile {
    /// Where the bytes for a path go.
    package enum Destination: Sendable, Equatable {
        /// A regular file at this absolute path (symbolic links followed), or
        /// nothing yet (`existing` nil): replaced atomically.
        case file(String, existing: System.FileStatus?)
        /// Not a regular file, or one reached through a descriptor link
        /// (`/dev/fd/N`, `/proc/…`): opened as given and written through.
        case through(String)
    }

    /// Follows `path`'s symbolic links (up to 40) and says how it is written.
    /// A missing file is a new regular file; a failure is one that cannot be
    /// looked at (`stat`, `readlink`).
    package static func destination(of path: String) -> Result<Destination, SystemError> {
        var current = path
        for _ in 0 ..< 40 {
            let (folder, name) = split(current)
            // The folder's real path: `/dev/fd` is `/proc/PID/fd`, whose links are descriptors, not paths.
            guard case .success(let realFolder) = System.realPath(folder) else {
                return .success(.file(current, existing: nil))  // the open names the missing folder
            }
            if realFolder == "/proc" || realFolder.hasPrefix("/proc/") { return .success(.through(path)) }
            current = realFolder == "/" ? "/" + name : realFolder + "/" + name
            switch System.status(atPath: current, following: false) {
            case .failure(let error) where error.errno == .noSuchFile:
                return .success(.file(current, existing: nil))
            case .failure(let error):
                return .failure(error)
            case .success(let status) where status.kind == .symbolicLink:
                switch System.readLink(current) {
                case .success(let target):
                    current = target.hasPrefix("/") ? target : split(current).folder + "/" + target
                case .failure(let error):
                    return .failure(error)
                }
            case .success(let status) where status.kind == .regular:
                return .success(.file(current, existing: status))
            case .success:
                return .success(.through(path))
            }
        }
        return .failure(SystemError("stat \(path)", .tooManySymbolicLinks))
    }

    /// Writes `bytes` to `path` with `permissions` (for a new file; a
    /// replaced file keeps its own), as ``destination(of:)`` says.
    package static func write(_ bytes: [UInt8], to path: String, permissions: UInt32 = 0o644) -> Result<Void, SystemError> {
        write(to: path, permissions: permissions) { fd in System.writeAll(fd, bytes) }
    }

    /// Writes what `produce` writes to the descriptor it is given to `path`,
    /// as ``write(_:to:permissions:)`` does: a regular file is replaced only
    /// once `produce` succeeded, so a failure leaves the old file as it was.
    package static func write(
        to path: String, permissions: UInt32 = 0o644, _ produce: (Int32) -> Result<Void, SystemError>
    ) -> Result<Void, SystemError> {
        switch destination(of: path) {
        case .failure(let error):
            return .failure(error)
        case .success(.through(let path)):
            return System.open(path, [.writeOnly, .append]).flatMap { fd in
                defer { System.close(fd) }
                return produce(fd)
            }
        case .success(.file(let path, let existing)):
            return replace(path, permissions: permissions, keeping: existing?.permissions, produce)
        }
    }

    /// Opens `path` for a stream of writes (`--jsonl`): a regular file is
    /// created or truncated (its symbolic links followed); anything else is
    /// opened as it is, without truncating or replacing it.
    package static func openForStreaming(_ path: String, permissions: UInt32 = 0o644) -> Result<Int32, SystemError> {
        destination(of: path).flatMap { destination in
            switch destination {
            case .through(let path): System.open(path, [.writeOnly, .append])
            case .file(let path, _): System.open(path, [.writeOnly, .create, .truncate], permissions: permissions)
            }
        }
    }

    /// The temporary file gets `permissions` (under the umask), or exactly
    /// `kept`, the permissions of the file it replaces.
    private static func replace(
        _ path: String, permissions: UInt32, keeping kept: UInt32?, _ produce: (Int32) -> Result<Void, SystemError>
    ) -> Result<Void, SystemError> {
        let temporary = "\(path).tmp-\(System.processID)-\(UInt32.random(in: 0 ... .max))"
        let written = System.open(temporary, [.writeOnly, .create, .exclusive], permissions: permissions).flatMap { fd in
            defer { System.close(fd) }
            return (kept.map { System.changePermissions(fd, $0) } ?? .success(()))
                .flatMap { produce(fd) }
                .flatMap { System.fsync(fd) }
        }.flatMap {
            System.rename(temporary, path)
        }
        if case .failure = written { System.unlink(temporary) }
        return written
    }

    /// The folder (`.` when none) and the last component of `path`.
    private static func split(_ path: String) -> (folder: String, name: String) {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
        let folder = trimmed[..<slash]
        return (folder.isEmpty ? "/" : String(folder), String(trimmed[trimmed.index(after: slash)...]))
    }
}
