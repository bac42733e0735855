public import FoundationEssentials
public import Playbook
import QMP

/// One target in the report: how it was reached, what QEMU said in its
/// greeting, and, for a launched QEMU, the process.
public struct TargetReport: Sendable {
    public struct QEMU: Sendable, Equatable {
        public var major: Int, minor: Int, micro: Int
        public var package: String

        public var jsonValue: JSONValue {
            ["major": .int(Int64(major)), "minor": .int(Int64(minor)), "micro": .int(Int64(micro)),
             "package": .string(package)]
        }
    }

    public struct Process: Sendable {
        public var pid: Int32
        public var exit: ProcessExit?
        public var stderrTail: String?

    }

    /// The serial console (SPEC.md §9): how much it printed and its end.
    public struct Console: Sendable {
        public var address: String?
        public var bytes: Int
        /// The last 4 KiB, CRLF as LF, other control characters as `\xNN`.
        public var tail: String
        /// `RUNDIR/TARGET.console.log` (gone with the run folder unless `--keep-run-dir`).
        public var log: String?
        public var error: String?

        var jsonValue: JSONValue {
            ["address": address.map(JSONValue.string) ?? .null, "bytes": .int(Int64(bytes)), "tail": .string(tail),
             "log": log.map(JSONValue.string) ?? .null, "error": error.map(JSONValue.string) ?? .null]
        }
    }

    /// The guest agent channel (SPEC.md §9).
    public struct Agent: Sendable {
        public var address: String?
        /// `isa-serial`, `virtio-serial` or `socket`.
        public var channel: String?
        /// The agent's version from `guest-info`, once it answered.
        public var version: String?
        /// From opening the channel to the agent's first answer.
        public var answeredAfter: Duration?
        public var synchronisations: Int
        public var protocolErrors: Int
        public var error: String?

        var jsonValue: JSONValue {
            ["address": address.map(JSONValue.string) ?? .null, "channel": channel.map(JSONValue.string) ?? .null,
             "version": version.map(JSONValue.string) ?? .null,
             "answered_ms": answeredAfter.map { .double(Timestamp.milliseconds($0)) } ?? .null,
             "synchronisations": .int(Int64(synchronisations)), "protocol_errors": .int(Int64(protocolErrors)),
             "error": error.map(JSONValue.string) ?? .null]
        }
    }

    /// One start of the target (SPEC.md §7.2): at the run's start, or by a `start` step.
    public struct Instance: Sendable {
        /// The launched QEMU's pid; nil for a `connect`/`listen` target.
        public var pid: Int32?
        public var started: Date
        /// When it was stopped, or found exited; nil when it ran to the end of the run.
        public var stopped: Date?
        public var exit: ProcessExit?
        public var stderrTail: String?
        public var qemu: QEMU?

        public var jsonValue: JSONValue {
            [
                "pid": pid.map { .int(Int64($0)) } ?? .null,
                "started": .string(Timestamp.string(started)),
                "stopped": stopped.map { .string(Timestamp.string($0)) } ?? .null,
                "exit_status": exit?.status.map { .int(Int64($0)) } ?? .null,
                "signal": exit?.signalName.map(JSONValue.string) ?? .null,
                "stderr_tail": stderrTail.map(JSONValue.string) ?? .null,
                "qemu": qemu.map(\.jsonValue) ?? .null,
            ]
        }
    }

    /// For a `libvirt:` target: the connection and the domain.
    public struct Libvirt: Sendable, Equatable {
        public var uri: String
        /// The domain's name, as libvirt reports it.
        public var domain: String
        /// Whether qmpbook created the (transient) domain for this run and destroyed it at the end.
        public var created: Bool

    }

    public var name: String
    public var mode: TargetKind
    public var address: String?
    public var qemu: QEMU?
    /// Capabilities the greeting advertised (nil before a greeting arrived).
    public var capabilities: [String]?
    /// Capabilities enabled by the handshake.
    public var enabled: [String]?
    public var protocolErrors = 0
    /// Events the engine dropped because the log's buffer was full (see ``MonitorOptions``).
    public var eventsDropped = 0
    public var process: Process?
    /// For a libvirt target once its domain was found or created; nil for the others.
    public var libvirt: Libvirt?
    /// Why the target could not be reached or was lost, or nil.
    public var error: String?
    /// How long opening it took: launching QEMU, connecting or accepting, and the QMP handshake
    /// (until it failed, when it did); nil when it was not opened.
    public var openedIn: Duration?
    /// The console channel, when the target has one.
    public var console: Console?
    /// The guest agent channel, when the target has one.
    public var agent: Agent?
    /// Every start of the target, in order; the fields above describe the last one.
    public var instances: [Instance] = []

    public var jsonValue: JSONValue {
        .object([
            "name": .string(name),
            "mode": .string(mode.rawValue),
            "address": address.map(JSONValue.string) ?? .null,
            "qemu": qemu.map(\.jsonValue) ?? .null,
            "capabilities": capabilities.map { .array($0.map(JSONValue.string)) } ?? .null,
            "enabled": enabled.map { .array($0.map(JSONValue.string)) } ?? .null,
            "protocol_errors": .int(Int64(protocolErrors)),
            "events_dropped": .int(Int64(eventsDropped)),
            "process": process.map { process in
                [
                    "pid": .int(Int64(process.pid)),
                    "exit_status": process.exit?.status.map { .int(Int64($0)) } ?? .null,
                    "signal": process.exit?.signalName.map(JSONValue.string) ?? .null,
                    "stderr_tail": process.stderrTail.map(JSONValue.string) ?? .null,
                ]
            } ?? .null,
            "libvirt": libvirt.map { ["uri": .string($0.uri), "domain": .string($0.domain), "created": .bool($0.created)] } ?? .null,
            "error": error.map(JSONValue.string) ?? .null,
            "opened_ms": openedIn.map { .double(Timestamp.milliseconds($0)) } ?? .null,
            "console": console?.jsonValue ?? .null,
            "agent": agent?.jsonValue ?? .null,
            "instances": .array(instances.map(\.jsonValue)),
        ])
    }
}
