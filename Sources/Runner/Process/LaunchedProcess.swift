import FoundationEssentials
import Synchronization
import QMP

/// A child process qmpbook started and owns until it has exited: QEMU, for a
/// `launch:` target.
///
/// ```swift
/// let qemu = try await LaunchedProcess.launch(["qemu-system-x86_64", "-M", "none", …],
///                                              outputPath: runDirectory.path + "/vm.log")
/// …
/// let exit = await qemu.stop(quit: { try? await monitor.execute("quit") })
/// ```
///
/// The child runs in its own process group with stdin on /dev/null and
/// stdout and stderr in the file at `outputPath`. A dedicated thread starts it
/// and then waits for it, so an exit is noticed at once (``exit``,
/// ``waitForExit()``, ``onExit(_:)``); that thread lives exactly as long as the
/// child, so the kernel's parent-death signal (SIGKILL, set by `System.spawnInGroup`)
/// fires only if qmpbook itself dies. Signals are sent only while the child is
/// not yet reaped, so a recycled pid is never hit.
///
/// A `launch:` may be a wrapper (`sh -c '…'`, `timeout 600 qemu-system-x86_64 …`)
/// whose QEMU is a grandchild the parent-death signal never reaches. So the
/// whole process group is what is owned: ``stop(quit:grace:terminateGrace:)``
/// signals the group, and a watchdog in the group (`System.watchGroup`)
/// SIGKILLs what is left of it once the child is reaped — or at once when
/// qmpbook dies, even by SIGKILL, since the kernel closes its pipe then.
public final class LaunchedProcess: Sendable {
    public let pid: Int32
    public let command: [String]
    /// The file that collects the child's stdout and stderr.
    public let outputPath: String

    private struct State {
        var exit: ProcessExit?
        var reaped = false
        var waiters: [Int: CheckedContinuation<ProcessExit?, Never>] = [:]
        var exitHandlers: [@Sendable (ProcessExit) -> Void] = []
        var nextWaiter = 0
    }

    private let state = Mutex(State())
    /// The group's watchdog: its pid (reaped here) and the pipe whose closing ends the group.
    private let watchdog: (pid: Int32, descriptor: Int32)

    private init(pid: Int32, command: [String], outputPath: String, watchdog: (pid: Int32, descriptor: Int32)) {
        self.pid = pid
        self.command = command
        self.outputPath = outputPath
        self.watchdog = watchdog
    }

    /// Starts `command` (the first element is the program, looked up on PATH),
    /// with `environment` added to qmpbook's own.
    /// - Throws: ``RunnerError`` (infrastructure) when the output file cannot be
    ///   created or the program cannot be started (a missing binary fails here).
    public static func launch(
        _ command: [String], environment: [String: String] = [:], outputPath: String
    ) async throws(RunnerError) -> LaunchedProcess {
        guard let program = command.first, !program.isEmpty else {
            throw RunnerError(.invalidInput, "the launch command is empty")
        }
        let environmentLines = ProcessEnvironment.lines(adding: environment)

        let result: Result<LaunchedProcess, RunnerError> = await withCheckedContinuation { continuation in
            System.startThread(named: "qmpbook-process") {
                let started = spawn(program: program, arguments: command, environment: environmentLines,
                                    outputPath: outputPath)
                switch started {
                case .failure(let error):
                    continuation.resume(returning: .failure(error))
                case .success(let (pid, watchdog)):
                    let process = LaunchedProcess(pid: pid, command: command, outputPath: outputPath, watchdog: watchdog)
                    continuation.resume(returning: .success(process))
                    process.superviseUntilExit()
                }
            }
        }
        return try result.get()
    }

    private static func spawn(
        program: String, arguments: [String], environment: [String], outputPath: String
    ) -> Result<(Int32, (pid: Int32, descriptor: Int32)), RunnerError> {
        let output: Int32
        switch System.open(outputPath, [.writeOnly, .create, .truncate]) {
        case .success(let fd): output = fd
        case .failure(let error): return .failure(RunnerError(.infrastructure, "cannot create \(outputPath): \(error)"))
        }
        defer { System.close(output) }
        let pid: Int32
        do {
            pid = try System.spawnInGroup(arguments, environment: environment, standardOutput: output, standardError: output)
        } catch {
            return .failure(RunnerError(.infrastructure, error.description))
        }
        switch System.watchGroup(pid) {
        case .success(let watchdog):
            return .success((pid, watchdog))
        case .failure(let error):
            System.killGroup(pid, System.signalKill)
            _ = System.waitpid(pid)
            return .failure(RunnerError(.infrastructure, "cannot start \(program): \(error)"))
        }
    }

    /// Runs on the launching thread: waits for the exit, records it, reaps.
    private func superviseUntilExit() {
        _ = System.waitForExitWithoutReaping(pid)
        // Reap while holding the lock, so no signal can be sent to a recycled pid.
        let (exit, waiters, handlers) = state.withLock { state in
            let exit = (try? System.waitpid(pid).get()).map(ProcessExit.init(waitStatus:)) ?? .exited(-1)
            state.exit = exit
            state.reaped = true
            // What is left of the group (a wrapper's QEMU) goes with it. The
            // unreaped watchdog keeps the group id ours, so this kill is safe.
            System.close(watchdog.descriptor)
            System.killGroup(pid, System.signalKill)
            _ = System.waitpid(watchdog.pid)
            let waiters = state.waiters
            state.waiters = [:]
            let handlers = state.exitHandlers
            state.exitHandlers = []
            return (exit, waiters, handlers)
        }
        // Handlers first: once `waitForExit` returns, every exit handler has run
        // (the monitor it closes is closed, with QEMU's exit as the reason).
        for handler in handlers { handler(exit) }
        for waiter in waiters.values { waiter.resume(returning: exit) }
    }

    /// How the process ended, or nil while it runs.
    public var exit: ProcessExit? { state.withLock { $0.exit } }

    /// Calls `handler` once when the process exits (at once if it already has),
    /// on the thread that noticed.
    public func onExit(_ handler: @escaping @Sendable (ProcessExit) -> Void) {
        let exit: ProcessExit? = state.withLock { state in
            if state.exit == nil { state.exitHandlers.append(handler) }
            return state.exit
        }
        if let exit { handler(exit) }
    }

    /// Waits until the process has exited; nil if the calling task is cancelled first.
    public func waitForExit() async -> ProcessExit? {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ProcessExit?, Never>) in
                let immediate: ProcessExit?? = state.withLock { state in
                    if let exit = state.exit { return .some(exit) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }

    /// Waits up to `timeout` for the process to exit; nil if it still runs.
    public func waitForExit(timeout: Duration) async -> ProcessExit? {
        if let exit { return exit }
        return await withTaskGroup(of: ProcessExit?.self) { group in
            group.addTask { await self.waitForExit() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? self.exit
        }
    }

    /// Sends `signal` to the process if it has not been reaped; false otherwise.
    @discardableResult
    public func send(signal: Int32) -> Bool {
        state.withLock { state in
            guard !state.reaped else { return false }
            return (try? System.kill(pid, signal).get()) != nil
        }
    }

    /// Sends `signal` to the process's whole group (a wrapper and its QEMU)
    /// if the process has not been reaped; false otherwise. The group's
    /// watchdog ignores all but SIGKILL.
    @discardableResult
    public func sendToGroup(signal: Int32) -> Bool {
        state.withLock { state in
            guard !state.reaped else { return false }
            return System.killGroup(pid, signal)
        }
    }

    /// The last `lines` lines of the process's output, trimmed.
    public func outputTail(lines: Int = 10) -> String {
        let bytes = Self.readTail(of: outputPath, count: 8192)
        let text = String(decoding: bytes, as: UTF8.self)
        let kept = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines)
        return kept.joined(separator: "\n")
    }

    /// Stops the process and waits for it: `quit` first (for QEMU, the QMP
    /// `quit` command) and up to `grace` for the exit, then SIGTERM to its
    /// group and up to `terminateGrace`, then SIGKILL to the group; once it is
    /// reaped, the watchdog kills whatever of the group is left. Returns how it ended (nil only if even
    /// SIGKILL did not end it within `terminateGrace`, which the kernel's
    /// parent-death signal then covers).
    ///
    /// The shape of swift-subprocess's teardown sequence: each step races the
    /// process's exit, and the sequence always ends in SIGKILL.
    @discardableResult
    public func stop(
        quit: (@Sendable () async -> Void)? = nil,
        grace: Duration = .seconds(5),
        terminateGrace: Duration = .seconds(2)
    ) async -> ProcessExit? {
        if let exit { return exit }
        if let quit {
            let quitTask = Task { await quit() }
            if let exit = await waitForExit(timeout: grace) {
                quitTask.cancel()
                return exit
            }
            quitTask.cancel()
        }
        sendToGroup(signal: System.signalTerminate)
        if let exit = await waitForExit(timeout: terminateGrace) { return exit }
        sendToGroup(signal: System.signalKill)
        return await waitForExit(timeout: terminateGrace)
    }

    /// Up to the last `count` bytes of the file at `path` (nothing when it cannot be read).
    private static func readTail(of path: String, count: Int) -> [UInt8] {
        guard case .success(let fd) = System.open(path, .readOnly) else { return [] }
        defer { System.close(fd) }
        guard case .success(let size) = System.sizeBySeekingToEnd(fd), size > 0 else { return [] }
        let start = max(0, size - Int64(count))
        var buffer = [UInt8](repeating: 0, count: Int(size - start))
        let got = buffer.withUnsafeMutableBytes { (try? System.pread(fd, into: $0, at: start).get()) ?? 0 }
        return Array(buffer.prefix(got))
    }
}
