import QMP

/// Checks, before a run launches anything, that its outputs (`--report`,
/// `--junit`, `--html`, `--jsonl`) destroy nothing: none is the playbook,
/// and no two are the same file.
///
/// ```swift
/// try OutputPaths.check([("--report", "r.json"), ("--junit", "r.json")], playbook: "book.yaml")
/// // --report r.json and --junit r.json are the same file: give each output its own path
/// ```
///
/// Paths are compared as files, not as text: symbolic links are followed
/// (`/dev/stdout` is `-` when stdout is that file), and an existing file is
/// known by its device and inode. A character device (`/dev/null`, a
/// terminal) may take several outputs: nothing is lost there.
public enum OutputPaths {
    /// - Throws: ``RunnerError`` (invalid input) naming the two options and the path.
    public static func check(_ outputs: [(option: String, path: String)], playbook: String) throws(RunnerError) {
        let book = identity(of: playbook)
        var seen: [(option: String, path: String, identity: Identity)] = []
        for output in outputs {
            guard let identity = identity(of: output.path) else { continue }
            if identity == book {
                throw RunnerError(
                    .invalidInput, "\(output.option) \(output.path): that is the playbook; an output must not overwrite it")
            }
            if let earlier = seen.first(where: { $0.identity == identity }) {
                throw RunnerError(
                    .invalidInput,
                    "\(earlier.option) \(earlier.path) and \(output.option) \(output.path) are the same file: give each output its own path")
            }
            seen.append((output.option, output.path, identity))
        }
    }

    /// A file as the check knows it: by device and inode once it exists, else by its resolved path.
    private enum Identity: Equatable {
        case file(device: UInt64, inode: UInt64)
        case path(String)
    }

    /// What `path` writes to; nil for a character device (or what cannot be looked at: the write will say why).
    private static func identity(of path: String) -> Identity? {
        let status: Result<System.FileStatus, SystemError>
        if path == ReportWriter.standardOutput {
            status = System.status(of: 1)
        } else {
            switch AtomicFile.destination(of: path) {
            case .success(.file(let resolved, nil)): return .path(resolved)
            case .success(.file(_, let existing?)): status = .success(existing)
            case .success(.through(let path)): status = System.status(atPath: path)
            case .failure: return nil
            }
        }
        guard case .success(let found) = status, found.kind != .characterDevice else { return nil }
        return .file(device: found.device, inode: found.inode)
    }
}
