import FoundationEssentials
import QMP

/// The private temporary folder of one run (`${run.dir}`): QMP sockets and
/// QEMU output of launched targets live here.
///
/// Created with mode 0700 under `$TMPDIR` (or `/tmp` when that path would be
/// too long for a unix socket address). ``remove()`` deletes it with
/// everything inside unless the run keeps it (`--keep-run-dir`).
public struct RunDirectory: Sendable {
    public let path: String

    /// Creates a fresh, private folder named `qmpbook-XXXXXX`.
    /// - Throws: ``RunnerError`` (infrastructure) when it cannot be created.
    public init(in parent: String? = nil) throws(RunnerError) {
        var base = parent ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        if base.isEmpty { base = "/tmp" }
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        // A unix socket path holds at most 107 bytes; leave room for "/NAME.qmp".
        if parent == nil, base.utf8.count > 60 { base = "/tmp" }
        switch System.mkdtemp(base + "/qmpbook-XXXXXX") {
        case .success(let made): path = made
        case .failure(let error): throw RunnerError(.infrastructure, "cannot create the run directory: \(error)")
        }
    }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Deletes the folder and everything in it; failures are ignored.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
