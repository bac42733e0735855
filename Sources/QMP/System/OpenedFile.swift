import Synchronization

/// A file opened to be passed to QEMU with a command (`getfd`, `add-fd`):
/// the one opener behind `qmpbook exec --fd` and a playbook step's `fd:`.
///
/// ```swift
/// let file = try OpenedFile(path: "/tmp/vm.mig", mode: .write, create: true)
/// defer { file.close() }
/// try await monitor.execute("getfd", arguments: ["fdname": "mig"], passing: file.descriptor)
/// ```
///
/// `write` truncates the file (like `fopen("w")`); `append` appends;
/// `read-write` neither truncates nor appends. With `create`, a missing file
/// is created with `permissions`. The descriptor is opened close-on-exec and
/// is closed by ``close()`` or on deinit, whichever comes first. QEMU gets
/// its own copy when it is passed.
public final class OpenedFile: Sendable {
    /// How the file is opened.
    public enum Mode: String, Sendable, CaseIterable {
        case read
        case write
        case readWrite = "read-write"
        case append
    }

    /// The open descriptor (valid until ``close()``).
    public let descriptor: Int32
    /// The path it was opened from.
    public let path: String
    private let closed = Mutex(false)

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Opens `path` in `mode`.
    /// - Throws: ``QMPError/Code/invalidCommand``, naming the path and the system's reason.
    public convenience init(path: String, mode: Mode, create: Bool = false, permissions: UInt32 = 0o600) throws(QMPError) {
        switch System.open(path, Self.flags(mode, create: create), permissions: permissions) {
        case .success(let descriptor):
            self.init(descriptor: descriptor, path: path)
        case .failure(let error):
            throw QMPError(.invalidCommand, "cannot open \(path) for \(mode.rawValue): \(error.errno)", errno: error.errno)
        }
    }

    /// Opens `path` in `mode`; the failure names the call and the path
    /// (`open /x: No such file or directory`), for callers with wording of their own.
    package static func open(path: String, mode: Mode, create: Bool = false, permissions: UInt32 = 0o600) -> Result<OpenedFile, SystemError> {
        System.open(path, flags(mode, create: create), permissions: permissions).map { OpenedFile(descriptor: $0, path: path) }
    }

    private static func flags(_ mode: Mode, create: Bool) -> System.OpenFlags {
        var flags: System.OpenFlags
        switch mode {
        case .read: flags = .readOnly
        case .write: flags = [.writeOnly, .truncate]
        case .readWrite: flags = .readWrite
        case .append: flags = [.writeOnly, .append]
        }
        if create { flags.insert(.create) }
        return flags
    }

    /// Closes the descriptor; later calls do nothing.
    public func close() {
        let wasOpen = closed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        if wasOpen { System.close(descriptor) }
    }

    deinit { close() }
}
