import FoundationEssentials
import Synchronization
import QMP

/// A program run on the host for a `command` step: argv as written (no
/// shell), its output captured, its whole process group ended with it.
///
/// ```swift
/// var command = HostCommand(["qemu-img", "create", "-f", "qcow2", path, "64M"])
/// command.timeout = .seconds(30)
/// let result = try await command.run()
/// result.exit == .exited(0)
/// ```
///
/// The child leads a process group of its own, with stdin fed from
/// ``input`` (or /dev/null) and stdout and stderr read into memory up to
/// ``outputLimit`` bytes each (the rest is read and dropped, so the child never
/// blocks on a full pipe). When the program exits, whatever it left running in
/// its group is killed. At ``timeout``, or when the calling task is cancelled
/// (qmpbook's SIGINT/SIGTERM/SIGHUP), the group gets SIGTERM and, ``killGrace``
/// later, SIGKILL. One dedicated thread starts, feeds, reads and reaps the
/// child; it lives exactly as long as the child, so the kernel's parent-death
/// signal kills the child if qmpbook itself dies, and a watchdog in the
/// child's group (`System.watchGroup`) then kills the rest of the group. Nothing blocks the
/// cooperative pool.
public struct HostCommand: Sendable {
    /// The program (looked up on PATH when it has no slash) and its arguments.
    public var arguments: [String]
    /// Added to (or replacing in) qmpbook's inherited environment.
    public var environment: [String: String] = [:]
    /// The working folder; nil keeps qmpbook's.
    public var directory: String?
    /// Fed to stdin, which is then closed; nil: stdin is /dev/null.
    public var input: [UInt8]?
    /// How long the program may run; nil: no limit.
    public var timeout: Duration?
    /// How many bytes of stdout and of stderr are kept.
    public var outputLimit = 1 << 20
    /// Between SIGTERM and SIGKILL.
    public var killGrace: Duration = .seconds(2)

    public init(_ arguments: [String]) {
        self.arguments = arguments
    }

    /// The commands of the run this task belongs to (set by the run around
    /// its steps), so that the run's end kills what its own commands left
    /// running and nothing of another run in the same process (a fleet's
    /// members). Outside a run, a command is tracked only by itself.
    @TaskLocal static var runGroups: HostCommandGroups?

    /// Runs the program to its end and returns how it ended.
    /// - Throws: ``RunnerError`` (`.infrastructure`) when it cannot be
    ///   started: an empty argv, a program not on PATH or not executable, a
    ///   missing folder; the message names the program. A program that runs
    ///   and fails, times out or is cancelled is a result, not an error.
    public func run() async throws(RunnerError) -> HostCommandResult {
        guard let program = arguments.first, !program.isEmpty else {
            throw RunnerError(.infrastructure, "the command is empty")
        }
        let supervisor: HostCommandSupervisor
        do {
            supervisor = try HostCommandSupervisor(command: self, groups: Self.runGroups ?? HostCommandGroups())
        } catch {
            throw RunnerError(.infrastructure, "cannot start \(program): \(error)")
        }
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HostCommandResult, RunnerError>, Never>) in
                System.startThread(named: "qmpbook-command") { continuation.resume(returning: supervisor.run()) }
            }
        } onCancel: {
            supervisor.cancel()
        }
        return try outcome.get()
    }
}

/// The process groups of the commands one run started that still run
/// (their leaders not yet reaped).
public final class HostCommandGroups: Sendable {
    private let groups = Mutex<Set<Int32>>([])

    public init() {}

    func insert(_ group: Int32) {
        groups.withLock { _ = $0.insert(group) }
    }

    /// Kills what is left of `group` and forgets it, before its leader is reaped:
    /// until then its id cannot be reused, so ``killAll()`` never hits a stranger.
    func end(_ group: Int32) {
        groups.withLock { groups in
            System.killGroup(group, System.signalKill)
            groups.remove(group)
        }
    }

    /// Sends SIGKILL to the process group of every command still running:
    /// the last thing a run does, so no command outlives it even if its own
    /// SIGTERM-grace-SIGKILL sequence has not finished.
    public func killAll() {
        groups.withLock { groups in
            for group in groups { System.killGroup(group, System.signalKill) }
        }
    }
}

/// The state one run of a ``HostCommand`` shares between its thread and a
/// cancelling task: the wake-up pipe and whether cancellation was asked for.
private final class HostCommandSupervisor: Sendable {
    let command: HostCommand
    let groups: HostCommandGroups
    private let wake: (read: Int32, write: Int32)
    private let cancelled = Atomic(false)

    init(command: HostCommand, groups: HostCommandGroups) throws(SystemError) {
        self.command = command
        self.groups = groups
        wake = try System.pipe().get()
        System.setNonBlocking(wake.read)
        System.setNonBlocking(wake.write)
    }

    deinit {
        System.close(wake.read)
        System.close(wake.write)
    }

    /// Asks the running command to end (SIGTERM, grace, SIGKILL); safe from any thread.
    func cancel() {
        cancelled.store(true, ordering: .sequentiallyConsistent)
        System.poke(wake.write)
    }

    /// The descriptors of one child: qmpbook's ends of its three pipes and its pidfd.
    private struct Ends {
        var input: Int32 = -1
        var output: Int32 = -1
        var error: Int32 = -1
        var process: Int32 = -1

        static func close(_ fd: inout Int32) {
            if fd >= 0 { System.close(fd) }
            fd = -1
        }

        mutating func closeAll() {
            Self.close(&input)
            Self.close(&output)
            Self.close(&error)
            Self.close(&process)
        }
    }

    /// Starts the child and drives it to its end; runs on the command's own thread.
    func run() -> Result<HostCommandResult, RunnerError> {
        let program = command.arguments[0]
        var ends = Ends()
        var childEnds: [Int32] = []
        defer { for fd in childEnds { System.close(fd) } }
        let pid: Int32
        do {
            let output = try System.pipe().get()
            (ends.output, childEnds) = (output.read, childEnds + [output.write])
            let error = try System.pipe().get()
            (ends.error, childEnds) = (error.read, childEnds + [error.write])
            var stdinFD: Int32 = -1
            if command.input != nil {
                let input = try System.pipe().get()
                (ends.input, childEnds, stdinFD) = (input.write, childEnds + [input.read], input.read)
            }
            do {
                pid = try System.spawnInGroup(
                    command.arguments, environment: ProcessEnvironment.lines(adding: command.environment),
                    directory: command.directory, standardInput: stdinFD, standardOutput: output.write,
                    standardError: error.write)
            } catch {
                ends.closeAll()
                return .failure(RunnerError(.infrastructure, error.description))
            }
        } catch {
            ends.closeAll()
            return .failure(RunnerError(.infrastructure, "cannot start \(program): \(error)"))
        }
        // The group dies with qmpbook, even by SIGKILL: what the program started in the background too.
        let watchdog: (pid: Int32, descriptor: Int32)
        switch System.watchGroup(pid) {
        case .success(let started):
            watchdog = started
        case .failure(let error):
            System.killGroup(pid, System.signalKill)
            _ = System.waitpid(pid)
            ends.closeAll()
            return .failure(RunnerError(.infrastructure, "cannot start \(program): \(error)"))
        }
        groups.insert(pid)
        for fd in childEnds { System.close(fd) }
        childEnds = []
        defer { ends.closeAll() }

        ends.process = (try? System.processDescriptor(pid).get()) ?? -1
        for fd in [ends.input, ends.output, ends.error] where fd >= 0 { System.setNonBlocking(fd) }

        var result = HostCommandResult(
            pid: pid, exit: .exited(-1), standardOutput: [], standardError: [], standardOutputTruncated: false,
            standardErrorTruncated: false, ending: nil)
        drive(pid: pid, ends: &ends, result: &result)
        // The leader is a zombie until reaped, so its group id cannot be reused before this last sweep.
        groups.end(pid)
        result.exit = (try? System.waitpid(pid).get()).map(ProcessExit.init(waitStatus:)) ?? .exited(-1)
        // The watchdog, the group's last member, is killed with it above; now reaped.
        System.close(watchdog.descriptor)
        _ = System.waitpid(watchdog.pid)
        return .success(result)
    }

    /// The poll loop: feeds stdin, reads stdout and stderr, notices the exit,
    /// the timeout and cancellation, until the program has exited and its
    /// output is closed (or a grace after the exit, if something outside its
    /// group still holds the pipes).
    private func drive(pid: Int32, ends: inout Ends, result: inout HostCommandResult) {
        let clock = ContinuousClock()
        let grace = command.killGrace
        let deadline = command.timeout.map { clock.now + $0 }
        let input = command.input ?? []
        var inputOffset = 0
        var exitedAt: ContinuousClock.Instant?
        var terminatedAt: ContinuousClock.Instant?
        var killed = false
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
        defer { chunk.deallocate() }

        if ends.input >= 0, input.isEmpty { Ends.close(&ends.input) }

        func endByQmpbook(_ ending: HostCommandResult.Ending) {
            guard terminatedAt == nil else { return }
            result.ending = ending
            terminatedAt = clock.now
            System.killGroup(pid, System.signalTerminate)
        }

        func leaderExited() {
            guard exitedAt == nil else { return }
            exitedAt = clock.now
            // What the program left running in its group goes with it.
            System.killGroup(pid, System.signalKill)
        }

        while true {
            if exitedAt != nil, ends.output < 0, ends.error < 0 { break }
            let now = clock.now
            if exitedAt == nil, ends.process < 0, System.hasExited(pid) { leaderExited() }
            if let exitedAt, now >= exitedAt + grace { break }
            if cancelled.load(ordering: .sequentiallyConsistent) { endByQmpbook(.cancelled) }
            if let deadline, now >= deadline { endByQmpbook(.timedOut) }
            if let terminatedAt, !killed, now >= terminatedAt + grace {
                killed = true
                System.killGroup(pid, System.signalKill)
            }

            var wakeAt: [ContinuousClock.Instant] = []
            if terminatedAt == nil, let deadline { wakeAt.append(deadline) }
            if let terminatedAt, !killed { wakeAt.append(terminatedAt + grace) }
            if let exitedAt { wakeAt.append(exitedAt + grace) }
            var timeout = wakeAt.min().map { max($0 - now, .zero) }
            // Without a pidfd the exit is noticed by looking every 10 ms.
            if ends.process < 0, exitedAt == nil { timeout = min(timeout ?? .milliseconds(10), .milliseconds(10)) }

            var watched: [(fd: Int32, write: Bool)] = [(wake.read, false)]
            let processIndex = ends.process >= 0 && exitedAt == nil ? watched.count : nil
            if processIndex != nil { watched.append((ends.process, false)) }
            let outputIndex = ends.output >= 0 ? watched.count : nil
            if outputIndex != nil { watched.append((ends.output, false)) }
            let errorIndex = ends.error >= 0 ? watched.count : nil
            if errorIndex != nil { watched.append((ends.error, false)) }
            let inputIndex = ends.input >= 0 ? watched.count : nil
            if inputIndex != nil { watched.append((ends.input, true)) }

            let ready = System.poll(watched, timeout: timeout)
            if ready[0].readable { drainWake(chunk) }
            if let index = processIndex, ready[index].readable || ready[index].hungUp { leaderExited() }
            if let index = outputIndex, ready[index].readable || ready[index].hungUp {
                read(&ends.output, into: &result.standardOutput, truncated: &result.standardOutputTruncated, chunk)
            }
            if let index = errorIndex, ready[index].readable || ready[index].hungUp {
                read(&ends.error, into: &result.standardError, truncated: &result.standardErrorTruncated, chunk)
            }
            if let index = inputIndex, ready[index].writable || ready[index].hungUp {
                switch System.writeNonBlocking(ends.input, input, from: inputOffset) {
                case .bytes(let count):
                    inputOffset += count
                    if inputOffset >= input.count { Ends.close(&ends.input) }
                case .wouldBlock:
                    break
                case .closed:
                    Ends.close(&ends.input)
                }
            }
        }
    }

    private func drainWake(_ chunk: UnsafeMutableRawBufferPointer) {
        while case .bytes = System.readNonBlocking(wake.read, into: chunk) {}
    }

    /// Reads what `fd` has now into `kept` up to the output limit; closes it at its end.
    private func read(
        _ fd: inout Int32, into kept: inout [UInt8], truncated: inout Bool, _ chunk: UnsafeMutableRawBufferPointer
    ) {
        while true {
            switch System.readNonBlocking(fd, into: chunk) {
            case .bytes(let count):
                let room = max(0, command.outputLimit - kept.count)
                if count > room { truncated = true }
                if room > 0 { kept.append(contentsOf: chunk.prefix(min(room, count))) }
            case .wouldBlock:
                return
            case .endOfFile:
                System.close(fd)
                fd = -1
                return
            }
        }
    }
}
