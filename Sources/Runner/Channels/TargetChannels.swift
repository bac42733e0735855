import FoundationEssentials
import Synchronization
import Playbook
import QMP

/// Where a target's console and agent are (SPEC.md §9), with what qmpbook
/// adds to a QEMU it launches to wire them.
struct ChannelPlan: Sendable {
    struct Console: Sendable {
        var address: MonitorAddress
        /// `RUNDIR/TARGET.console.log` (the run folder's file for the target).
        var log: String?
        /// qmpbook added this chardev (`wait=on`: QEMU waits for qmpbook, so nothing printed is lost).
        var wired: Bool
    }

    struct Agent: Sendable {
        var address: MonitorAddress
        /// `isa-serial`, `virtio-serial`, or `socket` (an existing chardev).
        var kind: String
    }

    var console: Console?
    var agent: Agent?
    /// Why a channel the playbook asks for is absent (a `--target` override replaced the launch).
    var missing: [String: String] = [:]

    static let none = ChannelPlan()

    /// The channels of `spec` as reached by `plan`: for a launch, the sockets
    /// next to its QMP socket (`STEM.console`, `STEM.qga`); else the sockets as written.
    init(spec: TargetSpec, plan: TargetSession.Plan) {
        var stem: String?
        if case .launch(_, _, let socket, _) = plan, socket.hasSuffix(".qmp") { stem = String(socket.dropLast(4)) }
        switch spec.console {
        case .launched?:
            if let stem {
                console = Console(address: .unix(path: stem + ".console"), log: stem + ".console.log", wired: true)
            } else {
                missing["console"] = ("console: true needs a QEMU that qmpbook launches, and --target replaced it with a connection")
            }
        case .socket(let text)?:
            if let address = try? MonitorAddress(parsing: text) {
                let log = stem.map { $0 + ".console.log" }
                console = Console(address: address, log: log, wired: false)
            }
        case nil:
            break
        }
        switch spec.agent {
        case .isaSerial?, .virtioSerial?:
            let kind = spec.agent == .isaSerial ? "isa-serial" : "virtio-serial"
            if let stem {
                agent = Agent(address: .unix(path: stem + ".qga"), kind: kind)
            } else {
                missing["agent"] = ("agent: \(kind) needs a QEMU that qmpbook launches, and --target replaced it with a connection")
            }
        case .socket(let text)?:
            if let address = try? MonitorAddress(parsing: text) { agent = Agent(address: address, kind: "socket") }
        case nil:
            break
        }
    }

    private init() {}

    /// What to insert after the program name of a launch (before the user's
    /// own options, so the console is the first serial port).
    static func launchArguments(spec: TargetSpec, stem: String) -> [String] {
        // QEMU's option syntax splits on commas: a comma in the path (from $TMPDIR) is written twice.
        let stem = stem.replacing(",", with: ",,")
        var arguments: [String] = []
        if spec.console == .launched {
            arguments += ["-chardev", "socket,id=qmpbook-console,path=\(stem).console,server=on,wait=on",
                          "-serial", "chardev:qmpbook-console"]
        }
        switch spec.agent {
        case .isaSerial?:
            arguments += ["-chardev", "socket,id=qmpbook-agent,path=\(stem).qga,server=on,wait=off",
                          "-device", "isa-serial,chardev=qmpbook-agent,index=1"]
        case .virtioSerial?:
            arguments += ["-chardev", "socket,id=qmpbook-agent,path=\(stem).qga,server=on,wait=off",
                          "-device", "virtio-serial-pci,id=qmpbook-vserial",
                          "-device", "virtserialport,bus=qmpbook-vserial.0,chardev=qmpbook-agent,name=org.qemu.guest_agent.0"]
        case .socket?, nil:
            break
        }
        return arguments
    }
}

/// A target's guest agent link: the engine, and whether the agent has answered yet.
final class AgentLink: Sendable {
    let agent: GuestAgent
    let plan: ChannelPlan.Agent
    private let state = Mutex(State())

    private struct State {
        var greeting: Greeting?
        /// From the channel's opening to the first answer.
        var answeredAfter: Duration?
        var preflightDone = false
        var error: String?
    }

    private let opened = ContinuousClock.now

    init(agent: GuestAgent, plan: ChannelPlan.Agent) {
        self.agent = agent
        self.plan = plan
    }

    /// Waits within `timeout` until the agent answers, the first time (then at
    /// once): a resynchronisation and `guest-info`. Returns the greeting and
    /// whether this call was the first answer.
    func ready(timeout: Duration) async throws(QMPError) -> (Greeting, first: Bool) {
        if let greeting = state.withLock({ $0.greeting }) { return (greeting, false) }
        let greeting = try await agent.connect(timeout: timeout)
        let first = state.withLock { state -> Bool in
            guard state.greeting == nil else { return false }
            state.greeting = greeting
            state.answeredAfter = ContinuousClock.now - opened
            return true
        }
        return (greeting, first)
    }

    /// Whether the preflight of agent commands is still to do (it is marked done by asking).
    func takePreflight() -> Bool {
        state.withLock { state in
            defer { state.preflightDone = true }
            return !state.preflightDone
        }
    }

    func note(error: String) {
        state.withLock { $0.error = $0.error ?? error }
    }

    /// `{address, channel, version, answered_ms, synchronisations, protocol_errors, error}` for the report.
    var report: TargetReport.Agent {
        state.withLock { state in
            TargetReport.Agent(
                address: plan.address.description, channel: plan.kind,
                version: state.greeting.map { "\($0.version.major).\($0.version.minor).\($0.version.micro)" },
                answeredAfter: state.answeredAfter, synchronisations: agent.synchronisationCount,
                protocolErrors: agent.protocolErrorCount, error: state.error)
        }
    }
}

/// The channels of one target instance besides QMP: opened with it, closed with it.
final class TargetChannels: Sendable {
    let plan: ChannelPlan
    let console: ConsoleRecorder?
    private let agentLink = Mutex<AgentLink?>(nil)

    init(plan: ChannelPlan, console: ConsoleRecorder?) {
        self.plan = plan
        self.console = console
    }

    static var none: TargetChannels { TargetChannels(plan: .none, console: nil) }

    var agent: AgentLink? { agentLink.withLock { $0 } }

    /// Connects the console's socket by `deadline` (retrying: the socket may not exist yet)
    /// and starts recording; a launched QEMU that exits ends the attempt.
    static func openConsole(
        _ plan: ChannelPlan, until deadline: ContinuousClock.Instant, process: LaunchedProcess?
    ) async throws(RunnerError) -> TargetChannels {
        guard let console = plan.console else { return TargetChannels(plan: plan, console: nil) }
        let stream = try await dial("console", console.address, until: deadline, process: process) { address, timeout throws(QMPError) in
            try await ByteStream.dial(address, timeout: timeout)
        }
        let recorder = ConsoleRecorder(stream: stream, address: console.address.description, logPath: console.log)
        recorder.start()
        return TargetChannels(plan: plan, console: recorder)
    }

    /// Connects the agent's socket by `deadline` (the agent itself may answer much later).
    func openAgent(until deadline: ContinuousClock.Instant, process: LaunchedProcess?, options: MonitorOptions) async throws(RunnerError) {
        guard let plan = plan.agent else { return }
        let agent = try await Self.dial("agent", plan.address, until: deadline, process: process) { address, timeout throws(QMPError) in
            try await GuestAgent.dial(address, timeout: timeout, options: options, syncAttemptInterval: .milliseconds(500))
        }
        agentLink.withLock { $0 = AgentLink(agent: agent, plan: plan) }
    }

    private static func dial<T>(
        _ what: String, _ address: MonitorAddress, until deadline: ContinuousClock.Instant, process: LaunchedProcess?,
        _ body: (MonitorAddress, Duration) async throws(QMPError) -> T
    ) async throws(RunnerError) -> T {
        var lastError = ""
        while true {
            if let process, let exit = process.exit {
                throw RunnerError(.infrastructure, "QEMU \(exit) before its \(what) socket answered" + TargetSession.outputSuffix(process))
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { break }
            do {
                return try await body(address, min(remaining, .seconds(2)))
            } catch {
                lastError = error.message
            }
            if Task.isCancelled { throw RunnerError(.infrastructure, "interrupted while connecting to the \(what) at \(address)") }
            try? await Task.sleep(for: .milliseconds(25))
        }
        throw RunnerError(.infrastructure, "could not connect to the \(what) at \(address): \(lastError)")
    }

    /// Records why the agent channel closed, when it closed before the target did.
    func noteLoss() {
        if let agent, let reason = agent.agent.closeReason { agent.note(error: "lost during the run: \(reason.message)") }
    }

    /// Closes both channels (the console's log is complete once this returns).
    func close() async {
        await console?.close()
        if let agent { await agent.agent.disconnect() }
    }

    /// Writes the channels' report fields.
    func report(into report: inout TargetReport) {
        report.console = console?.report ?? plan.missing["console"].map {
            TargetReport.Console(address: nil, bytes: 0, tail: "", log: nil, error: $0)
        }
        report.agent = agent?.report ?? plan.missing["agent"].map {
            TargetReport.Agent(address: nil, channel: nil, version: nil, answeredAfter: nil, synchronisations: 0, protocolErrors: 0, error: $0)
        }
    }
}
