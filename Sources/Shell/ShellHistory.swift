import FoundationEssentials
import QMP

/// The shell's history file: one line per command entered, oldest first,
/// under the user's state folder (`$XDG_STATE_HOME/qmpbook/shell-history`,
/// else `~/.local/state/qmpbook/shell-history`).
///
/// Each line is appended as it is entered (so two shells at once both keep
/// theirs); a file past twice ``limit`` lines is rewritten whole (``AtomicFile``)
/// with the last ``limit``. A history that cannot be read or written is
/// no history, never an error.
struct ShellHistory: Sendable {
    let path: String?
    static let limit = 1000

    /// The default file, or nil when neither `XDG_STATE_HOME` nor `HOME` is an absolute path.
    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let base = environment["XDG_STATE_HOME"], base.hasPrefix("/") { return base + "/qmpbook/shell-history" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.local/state/qmpbook/shell-history" }
        return nil
    }

    /// The last ``limit`` lines of the file.
    func load() -> [String] {
        guard let path, let data = FileManager.default.contents(atPath: path) else { return [] }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        return Array(lines.suffix(Self.limit))
    }

    /// Appends `line` to the file, creating its folder (0700) and the file (0600) when missing.
    func append(_ line: String) {
        guard let path, !line.contains("\n") else { return }
        _ = System.makeDirectories(path.pathFolder, permissions: 0o700)
        guard case .success(let fd) = System.open(path, [.writeOnly, .append, .create], permissions: 0o600) else { return }
        _ = System.writeAll(fd, Array((line + "\n").utf8))
        System.close(fd)
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        if lines.count > 2 * Self.limit {
            _ = AtomicFile.write(Array((lines.suffix(Self.limit).joined(separator: "\n") + "\n").utf8), to: path, permissions: 0o600)
        }
    }
}
