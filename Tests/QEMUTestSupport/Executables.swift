import Foundation
import Glibc

/// Finds programs the tests run.
public enum Executables {
    /// The `qmpbook` binary built next to the test bundle (`.build/debug/qmpbook`).
    public static var qmpbook: String {
        get throws {
            let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            var folder = testBinary.deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = folder.appendingPathComponent("qmpbook").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                folder = folder.deletingLastPathComponent()
            }
            let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/qmpbook"
            if FileManager.default.isExecutableFile(atPath: fallback) { return fallback }
            throw ExecutableNotFound(name: "qmpbook", searched: testBinary.deletingLastPathComponent().path)
        }
    }

    /// `qemu-system-x86_64` from PATH.
    public static var qemu: String {
        get throws { try find("qemu-system-x86_64") }
    }

    /// The full path of `name` on PATH.
    public static func find(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ExecutableNotFound(name: name, searched: path)
    }
}

public struct ExecutableNotFound: Error, CustomStringConvertible {
    public var name: String
    public var searched: String
    public var description: String { "cannot find \(name) (searched \(searched))" }
}

/// The result of running a program to completion.
public struct ProgramOutput: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

/// Runs `executable` with `arguments`, waits for it (killing it after
/// `timeout`), and returns its exit status and output.
/// `environment` is added to this process's own.
public func runProgram(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)
) async throws -> ProgramOutput {
    try await RunningProgram(executable, arguments, environment: environment, timeout: timeout).wait()
}

/// A program started in the background, its output going to files that
/// can be read while it runs.
///
/// Output goes to files, not pipes: a child started at the same moment by
/// another test could inherit a pipe's write end and hold it open.
public final class RunningProgram: @unchecked Sendable {
    // @unchecked Sendable: all stored properties are `let`s set in init;
    // Process is used only for waitUntilExit and terminationStatus.
    private let process: Process
    private let directory: TemporaryDirectory
    private let killer: Task<Void, any Error>
    public let pid: Int32

    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)
    ) throws {
        directory = try TemporaryDirectory(prefix: "run")
        // Plain writes: FileManager.createFile leaves a TemporaryDirectory.* in /tmp on Linux.
        try Data().write(to: URL(fileURLWithPath: directory.file("stdout")))
        try Data().write(to: URL(fileURLWithPath: directory.file("stderr")))
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.file("stdout")))
        let error = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.file("stderr")))
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output.close()
        try? error.close()
        let pid = process.processIdentifier
        self.pid = pid
        killer = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
    }

    /// What the program has written on stdout so far.
    public var standardOutput: String {
        (try? String(contentsOfFile: directory.file("stdout"), encoding: .utf8)) ?? ""
    }

    /// Waits for the program to exit (off the cooperative pool).
    public func wait() async -> ProgramOutput {
        let status = await exitStatus(of: process, killingAfter: .seconds(3600))
        killer.cancel()
        return ProgramOutput(status: status,
                             standardOutput: standardOutput,
                             standardError: (try? String(contentsOfFile: directory.file("stderr"), encoding: .utf8)) ?? "")
    }
}

/// Waits for `process` to exit, killing it (SIGKILL) once `timeout` has
/// passed, and returns its exit status (the signal's number when a signal
/// ended it). Never hangs: Foundation's `waitUntilExit` has been seen to miss
/// a child's exit here (a test waited 300 s for a qmpbook it had killed), so
/// the exit is read with waitid(2) without reaping, and Foundation's own
/// view is taken when it has one.
public func exitStatus(of process: Process, killingAfter timeout: Duration) async -> Int32 {
    let pid = process.processIdentifier
    return await onOwnThread {
        let killAt = ContinuousClock.now + timeout
        var exitedAt: ContinuousClock.Instant?
        while true {
            if !process.isRunning { return process.terminationStatus }
            var info = siginfo_t()
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid {
                // Exited: give Foundation a moment to reap it, else answer from waitid.
                let since = exitedAt ?? ContinuousClock.now
                exitedAt = since
                if ContinuousClock.now - since > .seconds(2) { return info._sifields._sigchld.si_status }
            } else if ContinuousClock.now > killAt {
                kill(pid, SIGKILL)
            }
            usleep(10_000)
        }
    }
}

/// Runs blocking `body` on a new thread, so it never ties up one of the
/// cooperative pool's few threads (on a 2-core machine, two blocked waits
/// would starve every other test).
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0,
/// read back, released): good enough for a test, not a reservation.
public func freeTCPPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw PeerFailure(message: "socket failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
            bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
        }
    }
    guard ok else { throw PeerFailure(message: "bind failed: errno \(errno)") }
    return UInt16(bigEndian: address.sin_port)
}

/// How long a test lets a QMP handshake take when the handshake is not what
/// it tests: generous, because every suite runs at once on two cores and a
/// starved task can wait seconds before it even sends `qmp_capabilities`.
public let testHandshakeTimeout = Duration.seconds(60)
