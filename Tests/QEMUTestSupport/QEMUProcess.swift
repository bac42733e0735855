import Foundation
import QMP

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
/// pid with SIGKILL and reaps it; only this process is ever signalled.
public final class QEMUProcess: @unchecked Sendable {
    // @unchecked Sendable: every stored property is a `let` set in init;
    // Foundation's Process is thread-safe for the calls used here
    // (processIdentifier, isRunning, waitUntilExit, terminationStatus).

    /// The QMP socket's path (empty when QEMU was started without one).
    public let socketPath: String
    /// QEMU's process id.
    public let pid: Int32
    /// The private folder (holds the socket and QEMU's output log).
    public let directory: TemporaryDirectory
    private let process: Process

    /// The arguments every test QEMU gets.
    public static let baseArguments = ["-M", "pc", "-nodefaults", "-display", "none", "-S", "-device", "qemu-xhci,id=xhci"]

    private init(process: Process, socketPath: String, directory: TemporaryDirectory) {
        self.process = process
        self.pid = process.processIdentifier
        self.socketPath = socketPath
        self.directory = directory
    }

    /// Starts QEMU with a QMP server socket (`-qmp unix:DIR/qmp.sock,server=on,wait=off`)
    /// and waits up to `timeout` for the socket to appear.
    public static func start(extraArguments: [String] = [], timeout: Duration = .seconds(20)) async throws -> QEMUProcess {
        let directory = try TemporaryDirectory(prefix: "qemu")
        let socketPath = directory.file("qmp.sock")
        let qemu = try launch(baseArguments + extraArguments + ["-qmp", "unix:\(socketPath),server=on,wait=off"],
                              socketPath: socketPath, directory: directory)
        do {
            try await qemu.waitForSocket(timeout: timeout)
        } catch {
            qemu.stop()
            throw error
        }
        return qemu
    }

    /// Starts QEMU with exactly `arguments` after the base arguments (no QMP
    /// socket of its own): for QEMU as a client of a socket the test listens on.
    public static func startWithoutMonitor(extraArguments: [String], directory: TemporaryDirectory? = nil) throws -> QEMUProcess {
        let directory = try directory ?? TemporaryDirectory(prefix: "qemu")
        return try launch(baseArguments + extraArguments, socketPath: "", directory: directory)
    }

    private static func launch(_ arguments: [String], socketPath: String, directory: TemporaryDirectory) throws -> QEMUProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Executables.qemu)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let log = directory.file("qemu.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        return QEMUProcess(process: process, socketPath: socketPath, directory: directory)
    }

    /// Whether QEMU is still running.
    public var isRunning: Bool { process.isRunning }

    /// What QEMU wrote on stdout and stderr so far.
    public var output: String {
        (try? String(contentsOfFile: directory.file("qemu.log"), encoding: .utf8)) ?? ""
    }

    private func waitForSocket(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard process.isRunning else {
                throw QEMUStartFailure(message: "QEMU exited with status \(process.terminationStatus): \(output)")
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
                if handshake { _ = try await monitor.connect(timeout: .seconds(10)) }
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
        while process.isRunning {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Kills QEMU (SIGKILL, by pid) and reaps it. Safe to call more than once.
    public func stop() {
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    deinit {
        stop()
    }
}

public struct QEMUStartFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
