import QMP

/// How a process ended: with an exit status, or killed by a signal.
public enum ProcessExit: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// Decodes a wait(2) status (WIFEXITED / WEXITSTATUS / WTERMSIG are
    /// macros Swift cannot call: decoded by hand).
    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    /// The exit status, or nil when a signal ended the process.
    public var status: Int32? {
        if case .exited(let status) = self { return status }
        return nil
    }

    /// The signal's name (`SIGKILL`), or nil when the process exited.
    public var signalName: String? {
        if case .signaled(let signal) = self { return System.signalName(signal) }
        return nil
    }

    /// `exited with status 1` or `was killed by SIGKILL`.
    public var description: String {
        switch self {
        case .exited(let status): return "exited with status \(status)"
        case .signaled(let signal): return "was killed by \(System.signalName(signal))"
        }
    }
}
