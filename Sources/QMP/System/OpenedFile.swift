internal import Glibc
import Synchronization

/// A file opened to be passed to QEMU with a command (`getfd`, `add-fd`).
///
/// ```swift
/// let file = try OpenedFile(path: "/tmp/vm.mig", mode: .write, create: true)
/// defer { file.close() }
/// try await monitor.execute("getfd", arguments: ["fdname": "mig"], passing: file.descriptor)
/// ```
///
/// The descriptor is opened close-on-exec and is closed by ``close()`` or on
/// deinit, whichever comes first. QEMU gets its own copy when it is passed.
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

    /// Opens `path`. With `create`, a missing file is created with `permissions`.
    /// Writing modes truncate only `write`; `append` appends.
    /// - Throws: ``QMPError/Code/invalidCommand``, naming the path and the system's reason.
    public init(path: String, mode: Mode, create: Bool = false, permissions: UInt32 = 0o600) throws(QMPError) {
        var flags: Int32
        switch mode {
        case .read: flags = O_RDONLY
        case .write: flags = O_WRONLY | O_TRUNC
        case .readWrite: flags = O_RDWR
        case .append: flags = O_WRONLY | O_APPEND
        }
        if create { flags |= O_CREAT }
        switch system_open(path, flags, permissions) {
        case .success(let fd):
            descriptor = fd
            self.path = path
        case .failure(let errno):
            throw QMPError(.invalidCommand, "cannot open \(path) for \(mode.rawValue): \(errno)", errno: errno)
        }
    }

    /// Closes the descriptor; later calls do nothing.
    public func close() {
        let wasOpen = closed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        if wasOpen { _ = system_close(descriptor) }
    }

    deinit { close() }
}
