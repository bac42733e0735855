// The libc calls the runner makes, each behind one thin wrapper; nothing else
// in the module calls Glibc for these.
internal import Glibc

/// An errno value from a failed system call.
struct SystemError: Error, CustomStringConvertible {
    var call: String
    var errno: Int32

    var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// Runs `body` until it returns something other than -1 with EINTR.
/// - Throws: ``SystemError`` with the call's errno when it fails.
@inline(__always)
func valueOrErrno<T: FixedWidthInteger>(_ call: String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let error = Glibc.errno
        if error != EINTR { throw SystemError(call: call, errno: error) }
    }
}

enum System {
    static let signalInterrupt = SIGINT
    static let signalTerminate = SIGTERM
    static let signalKill = SIGKILL

    /// open(2) with O_CLOEXEC added.
    static func open(_ path: String, flags: Int32, permissions: UInt32 = 0o600) throws(SystemError) -> Int32 {
        try valueOrErrno("open \(path)") { Glibc.open(path, flags | O_CLOEXEC, permissions) }
    }

    static let writeOnlyCreateTruncate = O_WRONLY | O_CREAT | O_TRUNC
    static let writeOnlyCreateExclusive = O_WRONLY | O_CREAT | O_EXCL
    static let readOnly = O_RDONLY

    /// close(2), never retried.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Writes all of `bytes`, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                let error = Glibc.errno
                if error == EINTR { continue }
                throw SystemError(call: "write", errno: error)
            }
            offset += written
        }
    }

    /// fsync(2).
    static func fsync(_ fd: Int32) throws(SystemError) {
        _ = try valueOrErrno("fsync") { Glibc.fsync(fd) }
    }

    /// rename(2).
    static func rename(_ from: String, _ to: String) throws(SystemError) {
        _ = try valueOrErrno("rename \(from) to \(to)") { Glibc.rename(from, to) }
    }

    /// unlink(2), ignoring failures.
    static func unlink(_ path: String) {
        _ = Glibc.unlink(path)
    }

    /// isatty(3).
    static func isTerminal(_ fd: Int32) -> Bool {
        Glibc.isatty(fd) == 1
    }

    /// getpid(2).
    static var processID: Int32 { Glibc.getpid() }

    /// mkdtemp(3) on `template`, which must end in `XXXXXX`.
    static func makeTemporaryDirectory(_ template: String) throws(SystemError) -> String {
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { Glibc.mkdtemp($0.baseAddress!) }
        guard made != nil else { throw SystemError(call: "mkdtemp \(template)", errno: Glibc.errno) }
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// kill(2); false when the process is gone.
    @discardableResult
    static func kill(_ pid: Int32, _ signal: Int32) -> Bool {
        Glibc.kill(pid, signal) == 0
    }

    /// Blocks until `pid` has exited, without reaping it (waitid with WNOWAIT).
    static func waitForExitWithoutReaping(_ pid: Int32) {
        var info = siginfo_t()
        while Glibc.waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 {
            if Glibc.errno != EINTR { return }
        }
    }

    /// Reaps `pid` (waitpid) and decodes its status; nil when it cannot be reaped.
    static func reap(_ pid: Int32) -> ProcessExit? {
        var status: Int32 = 0
        while Glibc.waitpid(pid, &status, 0) == -1 {
            if Glibc.errno != EINTR { return nil }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros; decode by hand.
        let signal = status & 0x7f
        if signal == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(signal)
    }

    /// Reads up to the last `count` bytes of the file at `path`.
    static func readTail(of path: String, count: Int) -> [UInt8] {
        guard let fd = try? open(path, flags: O_RDONLY) else { return [] }
        defer { close(fd) }
        let size = Glibc.lseek(fd, 0, SEEK_END)
        guard size > 0 else { return [] }
        let start = max(0, Int(size) - count)
        var buffer = [UInt8](repeating: 0, count: Int(size) - start)
        let got = buffer.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress!, $0.count, off_t(start)) }
        return got > 0 ? Array(buffer.prefix(got)) : []
    }

    /// The name of a signal number, `SIGKILL` style.
    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: return "SIGHUP"
        case SIGINT: return "SIGINT"
        case SIGQUIT: return "SIGQUIT"
        case SIGILL: return "SIGILL"
        case SIGABRT: return "SIGABRT"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGKILL: return "SIGKILL"
        case SIGSEGV: return "SIGSEGV"
        case SIGPIPE: return "SIGPIPE"
        case SIGALRM: return "SIGALRM"
        case SIGTERM: return "SIGTERM"
        case SIGUSR1: return "SIGUSR1"
        case SIGUSR2: return "SIGUSR2"
        case SIGTRAP: return "SIGTRAP"
        case SIGXCPU: return "SIGXCPU"
        default: return "signal \(signal)"
        }
    }
}
