public import QMP

/// `console:` of a target (SPEC.md §9): where its serial console is.
public enum ConsoleChannel: Sendable, Equatable {
    /// `console: true` on a `launch` target: qmpbook adds the first serial port itself, on a socket in the run folder.
    case launched
    /// `console: unix:PATH` (or `tcp:HOST:PORT`): an existing socket chardev of that QEMU, as written.
    case socket(String)
}

/// `agent:` of a target (SPEC.md §9): where its QEMU guest agent listens.
public enum AgentChannel: Sendable, Equatable {
    /// qmpbook adds a socket chardev on an `isa-serial` port (the guest's second 16550).
    case isaSerial
    /// qmpbook adds `virtio-serial-pci` and a `virtserialport` named `org.qemu.guest_agent.0`.
    case virtioSerial
    /// An existing socket chardev of that QEMU, as written.
    case socket(String)

    /// The channel kinds qmpbook wires itself, as playbooks write them.
    public static let wiredNames = ["isa-serial", "virtio-serial"]
}

/// A `guest-exec` step: a program run in the guest through the agent (SPEC.md §9).
///
/// ```yaml
/// - guest-exec: [ls, /sys/block]
///   expect: {exit: 0, stdout: {$regex: vda}}
/// - guest-exec: {argv: [sh, -c, "cat"], env: {LC_ALL: C}, input: "hello"}
/// ```
public struct GuestExecStep: Sendable {
    /// The program and its arguments (strings as written).
    public var argv: [JSONValue]
    /// The guest program's environment (values as written); `guest-exec` passes only these.
    public var environment: [String: JSONValue]
    /// Text fed to its stdin (as written); nil: none.
    public var input: JSONValue?
    /// What the result `{exit, signal, stdout, stderr, json}` must match; nil: exit status 0.
    public var expect: CommandExpectation?
    public var until: JSONValue?
    public var interval: Duration?
    public var register: String?
}

/// A `wait-console` step: a regular expression searched in the target's console output.
public struct WaitConsoleStep: Sendable {
    /// The regular expression as written (may hold `${…}`).
    public var pattern: JSONValue
    /// Search only output received after the step with this id started.
    public var since: String?
    public var register: String?
}
