import CQMPShim
import Foundation
import Glibc
import QMP
import Synchronization

/// A real QEMU started for a test, with a QMP unix socket in a private folder.
///
/// ```swift
/// let qemu = try await QEMUProcess.start()
/// let monitor = try await qemu.connectMonitor()
/// try await monitor.execute("query-status")
/// qemu.stop()
/// ```
///
/// QEMU runs with `-M pc -nodefaults -display none -S -device qemu-xhci,id=xhci`
/// and any extra arguments. ``stop()`` (also called on deinit) kills it by
/// pid with SIGKILL and reaps it; only this process is ever signalled. If
/// the test process dies, the kernel kills QEMU (PR_SET_PDEATHSIG).
public final class QEMUProcess: Sendable {
    /// The QMP socket's path (empty when QEMU was started without one).
    public let socketPath: String
    /// QEMU's process id.
    public let pid: Int32
    /// The private folder (holds the socket and QEMU's output log).
    public let directory: TemporaryDirectory
    /// QEMU's wait status once it has exited and been reaped.
    private let exit: ExitBox

    /// The arguments every test QEMU gets.
    public static let baseArguments = ["-M", "pc", "-nodefaults", "-display", "none", "-S", "-device", "qemu-xhci,id=xhci"]

    private init(pid: Int32, exit: ExitBox, socketPath: String, directory: TemporaryDirectory) {
        self.pid = pid
        self.exit = exit
        self.socketPath = socketPath
        self.directory = directory
    }

    /// Starts QEMU with a QMP server socket (`-qmp unix:DIR/qmp.sock,server=on,wait=off`)
    /// and waits up to `timeout` for the socket to appear.
    ///
    /// QEMU serves one client per QMP socket; `extraMonitors` names more
    /// sockets to create in ``directory`` (`directory.file(name)`), for tests
    /// that need a second client.
    public static func start(extraArguments: [String] = [], extraMonitors: [String] = [], timeout: Duration = .seconds(20)) async throws -> QEMUProcess {
        let directory = try TemporaryDirectory(prefix: "qemu")
        let socketPath = directory.file("qmp.sock")
        let monitors = (extraMonitors.map(directory.file) + [socketPath]).flatMap { ["-qmp", "unix:\($0),server=on,wait=off"] }
        let qemu = try await launch(baseArguments + extraArguments + monitors, socketPath: socketPath, directory: directory)
        do {
            try await qemu.waitForSocket(timeout: timeout)
        } catch {
            qemu.stop()
            throw error
        }
        return qemu
    }

    /// Starts QEMU with `extraArguments` after the base arguments and no QMP
    /// socket of its own: for QEMU as a client of a socket the test listens on.
    public static func startWithoutMonitor(extraArguments: [String], directory: TemporaryDirectory? = nil) async throws -> QEMUProcess {
        let directory = try directory ?? TemporaryDirectory(prefix: "qemu")
        return try await launch(baseArguments + extraArguments, socketPath: "", directory: directory)
    }

    /// Forks and execs QEMU from a thread of its own, which then waits for
    /// it: PR_SET_PDEATHSIG ties QEMU's life to that thread, so QEMU is
    /// killed if the test process dies, and the thread reaps it.
    private static func launch(_ arguments: [String], socketPath: String, directory: TemporaryDirectory) async throws -> QEMUProcess {
        let executable = try Executables.qemu
        let log = try OpenedFile(path: directory.file("qemu.log"), mode: .write, create: true)
        let exit = ExitBox()
        let argv = [executable] + arguments
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let spawned: Result<Int32, SpawnFailure> = await withCheckedContinuation { continuation in
            Thread {
                let pid = withCStrings(argv) { argv in
                    withCStrings(environment) { envp in qmp_spawn(executable, argv, envp, log.descriptor) }
                }
                log.close()
                guard pid > 0 else {
                    continuation.resume(returning: .failure(SpawnFailure(message: "cannot start \(executable): \(String(cString: strerror(errno)))")))
                    return
                }
                continuation.resume(returning: .success(pid))
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                exit.set(status)
            }.start()
        }
        return QEMUProcess(pid: try spawned.get(), exit: exit, socketPath: socketPath, directory: directory)
    }

    /// Whether QEMU is still running.
    public var isRunning: Bool { exit.status == nil }

    /// QEMU's wait status once it has exited.
    public var waitStatus: Int32? { exit.status }

    /// What QEMU wrote on stdout and stderr so far.
    public var output: String {
        (try? String(contentsOfFile: directory.file("qemu.log"), encoding: .utf8)) ?? ""
    }

    private func waitForSocket(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard isRunning else {
                throw QEMUStartFailure(message: "QEMU exited (wait status \(exit.status ?? 0)): \(output)")
            }
            guard ContinuousClock.now < deadline else {
                throw QEMUStartFailure(message: "QEMU created no QMP socket within \(timeout): \(output)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Dials the QMP socket (retrying briefly while QEMU starts listening)
    /// and, unless `handshake` is false, performs the QMP handshake.
    public func connectMonitor(handshake: Bool = true, options: MonitorOptions = .init()) async throws -> SocketMonitor {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let attempt = await Self.dial(socketPath, options: options)
            switch attempt {
            case .success(let monitor):
                if handshake { _ = try await monitor.connect(timeout: testHandshakeTimeout) }
                return monitor
            case .failure(let error):
                guard error.code == .connectFailed, ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    private static func dial(_ path: String, options: MonitorOptions) async -> Result<SocketMonitor, QMPError> {
        do {
            return .success(try await SocketMonitor.dial(.unix(path: path), timeout: .seconds(5), options: options))
        } catch {
            return .failure(error)
        }
    }

    /// Waits up to `timeout` for QEMU to exit; returns whether it did.
    public func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Kills QEMU (SIGKILL, by pid) and waits until it is reaped. Safe to
    /// call more than once; never signals a pid that was already reaped.
    public func stop() {
        if isRunning { kill(pid, SIGKILL) }
        for _ in 0..<10_000 where isRunning { usleep(1_000) }
    }

    deinit {
        stop()
    }
}

/// A wait status set once by the thread that reaps the child.
private final class ExitBox: Sendable {
    private let value = Mutex<Int32?>(nil)
    var status: Int32? { value.withLock { $0 } }
    func set(_ status: Int32) { value.withLock { $0 = status } }
}

private struct SpawnFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Calls `body` with a NULL-terminated C array of `strings`.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T) -> T {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

public struct QEMUStartFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
