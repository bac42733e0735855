import QMP

/// The QEMU a shell talks to, already handshaken: what the command line
/// hands to ``QMPShell`` after reaching an address (as `exec` does) or
/// launching one (as a `launch:` target).
public struct ShellTarget: Sendable {
    /// How the target was reached, for `--record`.
    public enum Reached: Sendable {
        case connect(String)
        case launch([String])
        case libvirt(uri: String, domain: String)
    }

    public var monitor: any Monitor
    public var greeting: Greeting
    /// The target's events, subscribed to before or right after the handshake.
    public var events: EventSubscription
    /// Where it is, for people, after "QEMU 7.2.0 " (`at unix:/run/vm.qmp`, `launched (pid 1234)`).
    public var description: String
    public var reached: Reached
    /// Ends the target: disconnects, or stops a launched QEMU.
    public var close: @Sendable () async -> Void
    /// Why the target went away, in words (a launched QEMU's exit and last output).
    public var lossReason: @Sendable () async -> String

    public init(
        monitor: any Monitor, greeting: Greeting, events: EventSubscription, description: String, reached: Reached,
        close: @escaping @Sendable () async -> Void, lossReason: @escaping @Sendable () async -> String
    ) {
        self.monitor = monitor
        self.greeting = greeting
        self.events = events
        self.description = description
        self.reached = reached
        self.close = close
        self.lossReason = lossReason
    }
}

/// How a shell behaves.
public struct ShellOptions: Sendable {
    /// Where `--record` writes the playbook, or nil.
    public var recordPath: String?
    /// The history file (nil: no history kept).
    public var historyPath: String?
    /// Colours in replies, events and errors.
    public var color: Bool
    /// How long a command may take before its reply is given up.
    public var commandTimeout: Duration

    public init(recordPath: String? = nil, historyPath: String? = nil, color: Bool = false, commandTimeout: Duration = .seconds(60)) {
        self.recordPath = recordPath
        self.historyPath = historyPath
        self.color = color
        self.commandTimeout = commandTimeout
    }

    /// `$XDG_STATE_HOME/qmpbook/shell-history`, else `~/.local/state/qmpbook/shell-history`.
    public static var defaultHistoryPath: String? { ShellHistory.defaultPath() }
}
