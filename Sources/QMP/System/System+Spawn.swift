// The libc calls for starting children in their own process group and
// talking to them through pipes, each behind one thin wrapper.
internal import CQMPShim
internal import Glibc

/// Why a child could not be started: the program or its folder, in words.
package struct SpawnFailure: Error, Sendable, CustomStringConvertible {
    package enum Stage: Sendable { case fork, directory, exec }

    package var program: String
    package var directory: String?
    package var stage: Stage
    package var errno: Int32

    package var description: String {
        let reason = String(cString: strerror(errno))
        switch stage {
        case .fork:
            return "cannot start \(program): \(reason)"
        case .directory:
            return "cannot start \(program) in \(directory ?? "its folder"): \(reason)"
        case .exec where errno == ENOENT && !program.contains("/"):
            return "cannot start \(program): no such program on PATH"
        case .exec:
            return "cannot start \(program): \(reason)"
        }
    }
}

extension System {
    /// SIGHUP
    package static let signalHangUp = SIGHUP

    /// Starts `arguments` (the first is the program, looked up on PATH when
    /// it has no slash) as the leader of a new process group, with
    /// `environment` (`NAME=VALUE` lines) as its whole environment.
    /// `standardInput` -1 means /dev/null; `standardOutput`/`standardError`
    /// -1 keep qmpbook's. The calling thread must outlive the child: it is the
    /// parent whose end sends the child SIGKILL (PR_SET_PDEATHSIG).
    /// - Returns: the pid, which is also the child's process group id.
    /// - Throws: ``SpawnFailure`` when the folder or program is missing or not usable.
    package static func spawnInGroup(
        _ arguments: [String], environment: [String], directory: String? = nil,
        standardInput: Int32 = -1, standardOutput: Int32 = -1, standardError: Int32 = -1
    ) throws(SpawnFailure) -> Int32 {
        let program = arguments.first ?? ""
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        let folder = directory.map { strdup($0) }
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
            if let folder { free(folder) }
        }
        var stage: Int32 = 0
        let pid: Int32 = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envpBuffer in
                var request = qmp_spawn_request(
                    path: argv[0], argv: argvBuffer.baseAddress, envp: envpBuffer.baseAddress,
                    directory: folder ?? nil, stdin_fd: standardInput, stdout_fd: standardOutput,
                    stderr_fd: standardError)
                return qmp_spawn_in_group(&request, &stage)
            }
        }
        if pid < 0 {
            let failed: SpawnFailure.Stage = switch UInt32(stage) {
            case QMP_SPAWN_STAGE_DIRECTORY.rawValue: .directory
            case QMP_SPAWN_STAGE_EXEC.rawValue: .exec
            default: .fork
            }
            throw SpawnFailure(program: program, directory: directory, stage: failed, errno: Glibc.errno)
        }
        return pid
    }

    /// Starts a watchdog in the process group `group` (a child of
    /// ``spawnInGroup(_:environment:directory:standardInput:standardOutput:standardError:)``,
    /// not yet reaped): it SIGKILLs the whole group once `descriptor` is
    /// closed — by the caller, or by the kernel when qmpbook dies, even by
    /// SIGKILL. While it lives the group id cannot be reused. Close the
    /// descriptor, then reap `pid` (``waitpid(_:)``).
    /// See `qmp_watch_group` in CQMPShim.h.
    package static func watchGroup(_ group: Int32) -> Result<(pid: Int32, descriptor: Int32), SystemError> {
        var watchdog: Int32 = -1
        return valueOrErrno("start a watchdog for process group \(group)", retryOnInterrupt: false) {
            qmp_watch_group(group, &watchdog)
        }.map { (watchdog, $0) }
    }

    /// pipe2(2) with O_CLOEXEC: (read end, write end).
    package static func pipe() -> Result<(read: Int32, write: Int32), SystemError> {
        var ends: [Int32] = [-1, -1]
        return valueOrErrno("pipe") { ends.withUnsafeMutableBufferPointer { qmp_pipe_cloexec($0.baseAddress!) } }
            .map { _ in (ends[0], ends[1]) }
    }

    /// A descriptor that polls readable once `pid` has exited (pidfd_open(2)).
    package static func processDescriptor(_ pid: Int32) -> Result<Int32, SystemError> {
        valueOrErrno("pidfd_open") { qmp_pidfd_open(pid) }
    }

    /// What poll(2) says of one descriptor.
    package struct PollResult {
        package var readable: Bool
        package var writable: Bool
        /// POLLHUP or POLLERR: the other end is gone.
        package var hungUp: Bool
    }

    /// poll(2) on `descriptors` (fd, wants to write), up to `timeout` (nil: no limit); EINTR is a wake-up.
    package static func poll(_ descriptors: [(fd: Int32, write: Bool)], timeout: Duration?) -> [PollResult] {
        var entries = descriptors.map { pollfd(fd: $0.fd, events: Int16($0.write ? POLLOUT : POLLIN), revents: 0) }
        var milliseconds: Int32 = -1
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            let total = max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000 + (attoseconds % 1_000_000_000_000_000 > 0 ? 1 : 0))
            milliseconds = Int32(min(total, Int64(Int32.max)))
        }
        let count = entries.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress!, nfds_t($0.count), milliseconds) }
        if count <= 0 { return entries.map { _ in PollResult(readable: false, writable: false, hungUp: false) } }
        return entries.map { entry in
            let events = Int32(entry.revents)
            return PollResult(
                readable: events & Int32(POLLIN) != 0, writable: events & Int32(POLLOUT) != 0,
                hungUp: events & Int32(POLLHUP | POLLERR | POLLNVAL) != 0)
        }
    }

    /// How a non-blocking read went.
    package enum ReadResult {
        case bytes(Int)
        case endOfFile
        case wouldBlock
    }

    /// read(2) into `buffer`, retrying EINTR; any failure but EAGAIN counts as the end.
    package static func readNonBlocking(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let got = Glibc.read(fd, buffer.baseAddress!, buffer.count)
            if got > 0 { return .bytes(got) }
            if got == 0 { return .endOfFile }
            let error = Glibc.errno
            if error == EINTR { continue }
            return error == EAGAIN ? .wouldBlock : .endOfFile
        }
    }

    /// How a non-blocking write went.
    package enum WriteResult {
        case bytes(Int)
        case wouldBlock
        /// The reader is gone (EPIPE) or the write failed.
        case closed
    }

    /// write(2) of `bytes` from `offset`, without SIGPIPE when the reader has gone.
    package static func writeNonBlocking(_ fd: Int32, _ bytes: [UInt8], from offset: Int) -> WriteResult {
        let written = bytes.withUnsafeBytes { buffer in
            qmp_write_without_sigpipe(fd, buffer.baseAddress! + offset, buffer.count - offset)
        }
        if written >= 0 { return .bytes(written) }
        return Glibc.errno == EAGAIN ? .wouldBlock : .closed
    }

    /// kill(2) of the process group `group`; false when no member is left.
    @discardableResult
    package static func killGroup(_ group: Int32, _ signal: Int32) -> Bool {
        Glibc.kill(-group, signal) == 0
    }

    /// Whether `pid` has exited, without reaping it.
    package static func hasExited(_ pid: Int32) -> Bool {
        qmp_has_exited(pid) == 1
    }

    /// Writes one byte to `fd` (a wake-up pipe), ignoring failures.
    package static func poke(_ fd: Int32) {
        var byte: UInt8 = 1
        _ = Glibc.write(fd, &byte, 1)
    }
}
