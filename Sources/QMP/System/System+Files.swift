internal import Glibc

extension System {
    /// How ``open(_:_:permissions:)`` opens a file: an access mode plus options.
    package struct OpenFlags: OptionSet, Sendable {
        package var rawValue: Int32
        package init(rawValue: Int32) { self.rawValue = rawValue }

        /// O_RDONLY (no bits: the default access mode).
        package static let readOnly = OpenFlags([])
        /// O_WRONLY
        package static let writeOnly = OpenFlags(rawValue: O_WRONLY)
        /// O_RDWR
        package static let readWrite = OpenFlags(rawValue: O_RDWR)
        /// O_APPEND
        package static let append = OpenFlags(rawValue: O_APPEND)
        /// O_CREAT
        package static let create = OpenFlags(rawValue: O_CREAT)
        /// O_TRUNC
        package static let truncate = OpenFlags(rawValue: O_TRUNC)
        /// O_EXCL
        package static let exclusive = OpenFlags(rawValue: O_EXCL)
    }

    /// open(2) with O_CLOEXEC added; the error names the path.
    package static func open(_ path: String, _ flags: OpenFlags, permissions: UInt32 = 0o600) -> Result<Int32, SystemError> {
        valueOrErrno("open \(path)") { Glibc.open(path, flags.rawValue | O_CLOEXEC, permissions) }
    }

    /// close(2), never retried (on Linux the descriptor is released even on EINTR).
    @discardableResult
    package static func close(_ fd: Int32) -> Result<Int32, SystemError> {
        valueOrErrno("close", retryOnInterrupt: false) { Glibc.close(fd) }
    }

    /// read(2) into `buffer`; 0 at the end of the file.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, SystemError> {
        valueOrErrno("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// pread(2) into `buffer` from `offset`.
    package static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Result<Int, SystemError> {
        valueOrErrno("pread") { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// write(2) of all of `bytes`, looping over short writes.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Result<Void, SystemError> {
        bytes.withUnsafeBytes { buffer -> Result<Void, SystemError> in
            var offset = 0
            while offset < buffer.count {
                switch valueOrErrno("write", { Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset) }) {
                case .success(let written): offset += written
                case .failure(let error): return .failure(error)
                }
            }
            return .success(())
        }
    }

    /// A new file that no path names, for reading and appending: created in
    /// `folder` and unlinked at once, so it is gone when its descriptor
    /// closes, however the process ends.
    package static func openUnlinkedFile(in folder: String) -> Result<Int32, SystemError> {
        let path = "\(folder)/.qmpbook-\(processID)-\(UInt32.random(in: 0 ... .max))"
        return open(path, [.readWrite, .append, .create, .exclusive]).map { fd in
            unlink(path)
            return fd
        }
    }

    /// lseek(2) to the end: the file's size.
    package static func sizeBySeekingToEnd(_ fd: Int32) -> Result<Int64, SystemError> {
        valueOrErrno("lseek") { Glibc.lseek(fd, 0, SEEK_END) }.map(Int64.init)
    }

    /// fsync(2).
    package static func fsync(_ fd: Int32) -> Result<Void, SystemError> {
        valueOrErrno("fsync") { Glibc.fsync(fd) }.map { _ in () }
    }

    /// rename(2); the error names both paths.
    package static func rename(_ from: String, _ to: String) -> Result<Void, SystemError> {
        valueOrErrno("rename \(from) to \(to)") { Glibc.rename(from, to) }.map { _ in () }
    }

    /// unlink(2).
    @discardableResult
    package static func unlink(_ path: String) -> Result<Void, SystemError> {
        valueOrErrno("unlink \(path)") { Glibc.unlink(path) }.map { _ in () }
    }

    /// Writes `text` whole to standard output (fd 1) or error (fd 2); a
    /// failure (a closed pipe) is ignored: there is nowhere left to say it.
    package static func write(_ text: String, to fd: Int32) {
        _ = writeAll(fd, Array(text.utf8))
    }

    /// mkdir(2) of one folder.
    package static func mkdir(_ path: String, permissions: UInt32 = 0o755) -> Result<Void, SystemError> {
        valueOrErrno("mkdir \(path)") { Glibc.mkdir(path, permissions) }.map { _ in () }
    }

    /// `mkdir -p`: `path` and every missing folder above it, each made with
    /// `permissions`; success when `path` is a folder already.
    package static func makeDirectories(_ path: String, permissions: UInt32 = 0o755) -> Result<Void, SystemError> {
        if case .success(.directory) = fileKind(atPath: path) { return .success(()) }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            if case .failure(let error) = makeDirectories(String(path[..<slash]), permissions: permissions) {
                return .failure(error)
            }
        }
        switch mkdir(path, permissions: permissions) {
        case .success: return .success(())
        case .failure(let error) where error.errno == .fileExists:
            if case .success(.directory) = fileKind(atPath: path) { return .success(()) }
            return .failure(error)
        case .failure(let error): return .failure(error)
        }
    }

    /// mkdtemp(3) on `template`, which must end in `XXXXXX`: the folder made.
    package static func mkdtemp(_ template: String) -> Result<String, SystemError> {
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { Glibc.mkdtemp($0.baseAddress!) }
        guard made != nil else { return .failure(SystemError("mkdtemp \(template)", .current)) }
        return .success(String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// What kind of file a path or descriptor names (from `st_mode`).
    package enum FileKind: Sendable, Equatable {
        case regular, directory, socket, fifo, symbolicLink, characterDevice, blockDevice, unknown

        init(mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFREG: self = .regular
            case S_IFDIR: self = .directory
            case S_IFSOCK: self = .socket
            case S_IFIFO: self = .fifo
            case S_IFLNK: self = .symbolicLink
            case S_IFCHR: self = .characterDevice
            case S_IFBLK: self = .blockDevice
            default: self = .unknown
            }
        }
    }

    /// fstat(2): the kind of file `fd` is.
    package static func fileKind(of fd: Int32) -> Result<FileKind, SystemError> {
        var info = stat()
        return valueOrErrno("fstat") { Glibc.fstat(fd, &info) }.map { _ in FileKind(mode: info.st_mode) }
    }

    /// lstat(2): the kind of file at `path` itself (a symbolic link is not followed).
    package static func fileKind(atPath path: String) -> Result<FileKind, SystemError> {
        var info = stat()
        return valueOrErrno("lstat \(path)") { Glibc.lstat(path, &info) }.map { _ in FileKind(mode: info.st_mode) }
    }

    /// fcntl(2) F_GETFL/F_SETFL: turns O_NONBLOCK on or off.
    @discardableResult
    package static func setNonBlocking(_ fd: Int32, _ nonBlocking: Bool = true) -> Result<Int32, SystemError> {
        valueOrErrno("fcntl") { () -> Int32 in
            let flags = Glibc.fcntl(fd, F_GETFL)
            if flags == -1 { return -1 }
            return Glibc.fcntl(fd, F_SETFL, nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
        }
    }

    /// isatty(3).
    package static func isTerminal(_ fd: Int32) -> Bool {
        Glibc.isatty(fd) == 1
    }

    /// The number of columns of the terminal on `fd`, or nil when it is not a terminal or does not say.
    package static func terminalColumns(_ fd: Int32) -> Int? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}

extension System {
    /// What stat(2) says of a file, for telling two paths to the same file apart.
    package struct FileStatus: Sendable, Equatable {
        package var kind: FileKind
        package var device: UInt64
        package var inode: UInt64
        /// The permission bits (`st_mode & 07777`).
        package var permissions: UInt32
    }

    /// stat(2) (a symbolic link is followed), or lstat(2) with `following: false`.
    package static func status(atPath path: String, following: Bool = true) -> Result<FileStatus, SystemError> {
        var info = stat()
        return valueOrErrno("\(following ? "stat" : "lstat") \(path)") {
            following ? statFollowing(path, &info) : Glibc.lstat(path, &info)
        }.map { _ in Self.status(info) }
    }

    /// stat(2) itself: in Swift `stat(…)` is the struct's initializer.
    private static func statFollowing(_ path: String, _ info: inout stat) -> Int32 {
        Glibc.fstatat(AT_FDCWD, path, &info, 0)
    }

    /// fstat(2) of `fd`.
    package static func status(of fd: Int32) -> Result<FileStatus, SystemError> {
        var info = stat()
        return valueOrErrno("fstat") { Glibc.fstat(fd, &info) }.map { _ in Self.status(info) }
    }

    private static func status(_ info: stat) -> FileStatus {
        FileStatus(
            kind: FileKind(mode: info.st_mode), device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
            permissions: UInt32(info.st_mode) & 0o7777)
    }

    /// readlink(2): what the symbolic link at `path` points to.
    package static func readLink(_ path: String) -> Result<String, SystemError> {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = buffer.withUnsafeMutableBufferPointer { Glibc.readlink(path, $0.baseAddress!, 4096) }
        guard count >= 0 else { return .failure(SystemError("readlink \(path)", .current)) }
        return .success(String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// realpath(3): `path` absolute, with every symbolic link and `.`/`..` resolved.
    package static func realPath(_ path: String) -> Result<String, SystemError> {
        guard let resolved = Glibc.realpath(path, nil) else { return .failure(SystemError("realpath \(path)", .current)) }
        defer { free(resolved) }
        return .success(String(cString: resolved))
    }

    /// fchmod(2).
    package static func changePermissions(_ fd: Int32, _ permissions: UInt32) -> Result<Void, SystemError> {
        valueOrErrno("fchmod") { Glibc.fchmod(fd, mode_t(permissions)) }.map { _ in () }
    }
}

extension System {
    /// Which of descriptors 0, 1 and 2 were closed when qmpbook started
    /// (`qmpbook run … >&-`); each is plugged with `/dev/null` on first use
    /// of this property, so that no file opened later takes its number and
    /// receives what was meant for stdout. Read it first thing in `main`.
    package static let closedStandardDescriptors: Set<Int32> = {
        var closed: Set<Int32> = []
        for fd: Int32 in 0 ... 2 where Glibc.fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            closed.insert(fd)
            let null = Glibc.open("/dev/null", O_RDWR)
            if null >= 0, null != fd {
                Glibc.dup2(null, fd)
                Glibc.close(null)
            }
        }
        return closed
    }()
}
