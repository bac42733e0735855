public import QMP

/// A validated playbook (SPEC.md §3), ready for the runner.
///
/// Values that may hold `${…}` (arguments, patterns, addresses, launch
/// arguments, `log`, `hmp`, `fd.path`) are kept as written; the runner
/// resolves them with ``Template`` when the step runs. Everything else has
/// been checked: durations parsed, targets resolved, ids unique.
public struct Playbook: Sendable {
    public var name: String
    public var description: String?
    /// The path the playbook was loaded from, as given.
    public var path: String
    /// The absolute folder holding the playbook (`${playbook.dir}`).
    public var directory: String
    /// SHA-256 of the file's bytes, lowercase hex.
    public var sha256: String
    public var vars: JSONObject
    /// The deadline for the whole run, from its start (opening the targets included) to the end of the main steps.
    public var timeout: Duration?
    /// `always-timeout`: the most all `always` steps together may take (nil: the runner's default, 60s).
    public var alwaysTimeout: Duration?
    public var targets: [TargetSpec]
    public var steps: [Step]
    public var always: [Step]

    /// The target named `name`.
    public func target(named name: String) -> TargetSpec? {
        targets.first { $0.name == name }
    }

    /// Every step of the playbook, nested ones too (inside blocks and
    /// includes, in the order they are written): the main steps, then the
    /// `always` steps. ``Step/index`` is the position in this list.
    public var allSteps: StepTree { StepTree(steps, always) }

    /// The main steps with the steps nested in them (not the `always` steps).
    public var allMainSteps: StepTree { StepTree(steps) }
}

/// A QEMU to drive: where its QMP socket is, or how to start it.
public struct TargetSpec: Sendable {
    public enum Mode: Sendable {
        /// Dial ADDR (`unix:PATH`, `tcp:HOST:PORT`, a bare path); may hold `${…}`.
        case connect(String)
        /// Listen on ADDR and accept one QEMU.
        case listen(String)
        /// Start QEMU with this argv (strings, may hold `${…}`) and these additions to the environment.
        case launch(command: [JSONValue], environment: [String: JSONValue])
        /// A domain libvirt manages, reached through libvirt's QMP passthrough.
        case libvirt(LibvirtTarget)
    }

    public var name: String
    public var mode: Mode
    /// Capabilities to enable in the handshake (e.g. `oob`).
    public var capabilities: [String]
    /// Bounds connecting or accepting, and the handshake. Nil: the runner's default (10s).
    public var timeout: Duration?
    public var location: SourceLocation
    /// `autostart: false`: not opened before the first step, but by its first `start` step (SPEC.md §7.2).
    public var autostart: Bool
    /// The serial console channel (SPEC.md §9), if the target has one.
    public var console: ConsoleChannel?
    /// The guest agent channel (SPEC.md §9), if the target has one.
    public var agent: AgentChannel?

    public init(
        name: String, mode: Mode, capabilities: [String] = [], timeout: Duration? = nil, location: SourceLocation,
        autostart: Bool = true
    ) {
        self.name = name
        self.mode = mode
        self.capabilities = capabilities
        self.timeout = timeout
        self.location = location
        self.autostart = autostart
    }

    /// `launch`, `connect`, `listen` or `libvirt`, as the report writes it.
    public var kind: TargetKind {
        switch mode {
        case .connect: return .connect
        case .listen: return .listen
        case .launch: return .launch
        case .libvirt: return .libvirt
        }
    }
}

/// One step of a playbook.
/// (Sendable by hand: its buffer is changed only through ``fields``, and
/// only while no other copy shares it.)
public struct Step: @unchecked Sendable {
    public enum Phase: String, Sendable {
        case main
        case always
    }

    /// The step's values, all in one shared buffer: a run copies its steps
    /// often (walking the tree, handing a step to its action, to the report),
    /// and a copy is then one retain rather than one per string and array.
    /// A change to a copy that is shared copies the values first.
    private struct Fields: Sendable {
        var index: Int
        var id: String?
        var name: String
        var target: String?
        var timeout: Duration?
        var ignoreErrors: Bool
        var when: JSONValue?
        var loop: StepLoop?
        var late: [String: String]
        var tags: [String]
        var redact: Bool
        var action: StepAction
        var location: SourceLocation
        var phase: Phase
        var locations: [String: SourceLocation]
    }

    private var storage: ManagedBuffer<Fields, Never>

    /// The values, reached through the buffer's header pointer: going
    /// through its `header` property would cost a dynamic exclusivity check
    /// on every read. The pointer is used only while `storage` holds the buffer.
    private var fields: Fields {
        _read { yield header.pointee }
        _modify {
            if !isKnownUniquelyReferenced(&storage) { storage = Self.box(header.pointee) }
            yield &header.pointee
        }
    }

    private var header: UnsafeMutablePointer<Fields> { storage.withUnsafeMutablePointerToHeader { $0 } }

    private static func box(_ fields: Fields) -> ManagedBuffer<Fields, Never> {
        ManagedBuffer<Fields, Never>.create(minimumCapacity: 0) { _ in fields }
    }

    init(
        index: Int, id: String?, name: String, target: String?, timeout: Duration?, ignoreErrors: Bool,
        when: JSONValue? = nil, loop: StepLoop? = nil, late: [String: String] = [:], tags: [String], redact: Bool,
        action: StepAction, location: SourceLocation, phase: Phase, locations: [String: SourceLocation]
    ) {
        storage = Self.box(Fields(
            index: index, id: id, name: name, target: target, timeout: timeout, ignoreErrors: ignoreErrors,
            when: when, loop: loop, late: late, tags: tags, redact: redact,
            action: action, location: location, phase: phase, locations: locations))
    }

    /// Position in ``Playbook/allSteps``: main steps first (each followed by
    /// the steps nested in it), then `always`. The report numbers its entries
    /// on its own: a step in a loop has one entry per iteration.
    public var index: Int {
        get { fields.index }
        set { fields.index = newValue }
    }

    public var id: String? {
        get { fields.id }
        set { fields.id = newValue }
    }

    /// The step's `name`, or a description of its action.
    public var name: String {
        get { fields.name }
        set { fields.name = newValue }
    }

    /// The target the step runs on; nil for `command` steps, and for `sleep`
    /// and `log` steps when no target could be chosen.
    public var target: String? {
        get { fields.target }
        set { fields.target = newValue }
    }

    /// The step's `timeout`, or the default's; nil when neither says.
    public var timeout: Duration? {
        get { fields.timeout }
        set { fields.timeout = newValue }
    }

    public var ignoreErrors: Bool {
        get { fields.ignoreErrors }
        set { fields.ignoreErrors = newValue }
    }

    /// `when:` as written (`true`, `false` or `${…}`): the step runs only when it is true; nil runs always.
    public var when: JSONValue? {
        get { fields.when }
        set { fields.when = newValue }
    }

    /// `loop:`: run the step (or block) once per element; nil runs it once.
    public var loop: StepLoop? {
        get { fields.loop }
        set { fields.loop = newValue }
    }

    /// Values written as one `${…}` that the run resolves just before the
    /// step (SPEC.md §8.1), by key: `timeout`, `sleep`, `interval`,
    /// `ignore-errors`, `arguments`. Until then the model holds the default
    /// (`sleep` 0, no `arguments`).
    public var late: [String: String] {
        get { fields.late }
        set { fields.late = newValue }
    }

    public var tags: [String] {
        get { fields.tags }
        set { fields.tags = newValue }
    }

    public var redact: Bool {
        get { fields.redact }
        set { fields.redact = newValue }
    }

    public var action: StepAction {
        get { fields.action }
        set { fields.action = newValue }
    }

    public var location: SourceLocation {
        get { fields.location }
        set { fields.location = newValue }
    }

    public var phase: Phase {
        get { fields.phase }
        set { fields.phase = newValue }
    }

    /// Where things inside the step were written, by JSON path within the
    /// step: `execute`, `arguments`, `arguments.driver`, `arguments.props.0`,
    /// `match.device`, `fd.path`… Preflight uses it to point at a bad argument.
    /// What is where the step itself is (its first key) is left out: ask
    /// ``location(of:)``, which falls back to ``location``.
    public var locations: [String: SourceLocation] {
        get { fields.locations }
        set { fields.locations = newValue }
    }

    /// The action's kind, as the report writes it.
    public var kind: StepKind { action.kind }

    /// The steps a block or an include holds (its steps, then `rescue`, then `always`); empty for the other actions.
    public var children: [Step] {
        switch action {
        case .block(let block): return block.steps + block.rescue + block.always
        case .include(let include): return include.steps
        default: return []
        }
    }

    /// This step and every step nested in it, in the order written.
    public var withDescendants: StepTree { StepTree([self]) }

    /// Where `path` (e.g. `arguments.driver`) was written, or the nearest
    /// enclosing part that has a location, or the step itself.
    public func location(of path: String) -> SourceLocation {
        var path = Substring(path)
        while true {
            if let location = locations[String(path)] { return location }
            guard let dot = path.lastIndex(of: ".") else { return location }
            path = path[..<dot]
        }
    }
}

/// What a step does: exactly one action.
public enum StepAction: Sendable {
    case execute(ExecuteStep)
    case waitEvent(WaitEventStep)
    case sleep(Duration)
    /// The HMP command line (a string, may hold `${…}`).
    case hmp(JSONValue)
    /// The text to print (a string, may hold `${…}`).
    case log(JSONValue)
    /// A program on the host.
    indirect case command(CommandStep)
    /// Variables to set, by name, each as written (may hold `${…}`).
    case set([(name: String, value: JSONValue)])
    /// A condition (`true`/`false` or `${…}`) that must hold, and the message when it does not.
    case assert(condition: JSONValue, message: JSONValue?)
    /// A step that always fails, with this text (may hold `${…}`).
    case fail(JSONValue)
    /// Open a target now (SPEC.md §7.2).
    case start(StartStep)
    /// End a target's current instance.
    case stop(StopStep)
    /// A QEMU guest agent command (SPEC.md §9): like `execute`, to the target's agent (`fd` does not apply).
    case agent(ExecuteStep)
    /// A program in the guest, through the agent.
    indirect case guestExec(GuestExecStep)
    /// A regular expression awaited on the target's console.
    case waitConsole(WaitConsoleStep)
    /// Text written to the target's console (a string, may hold `${…}`).
    case sendConsole(JSONValue)
    /// A group of steps with their `rescue` and `always` steps (SPEC.md §8.3).
    case block(BlockStep)
    /// The steps of another file, in place.
    case include(IncludeStep)

    public var kind: StepKind {
        switch self {
        case .execute: return .execute
        case .waitEvent: return .waitEvent
        case .sleep: return .sleep
        case .hmp: return .hmp
        case .log: return .log
        case .command: return .command
        case .set: return .set
        case .assert: return .assert
        case .fail: return .fail
        case .start: return .start
        case .stop: return .stop
        case .agent: return .agent
        case .guestExec: return .guestExec
        case .waitConsole: return .waitConsole
        case .sendConsole: return .sendConsole
        case .block: return .block
        case .include: return .include
        }
    }

    /// The `register` name, for the actions that keep a value.
    public var register: String? {
        switch self {
        case .execute(let execute): return execute.register
        case .waitEvent(let wait): return wait.register
        case .command(let command): return command.register
        case .agent(let agent): return agent.register
        case .guestExec(let exec): return exec.register
        case .waitConsole(let wait): return wait.register
        case .sleep, .hmp, .log, .sendConsole, .set, .assert, .fail, .start, .stop, .block, .include: return nil
        }
    }

    /// The time between `until` attempts, for the actions that poll and have `until`.
    public var pollInterval: Duration? {
        switch self {
        case .execute(let execute): return execute.until == nil ? nil : execute.interval
        case .command(let command): return command.until == nil ? nil : command.interval
        case .agent(let agent): return agent.until == nil ? nil : agent.interval
        case .guestExec(let exec): return exec.until == nil ? nil : exec.interval
        case .waitEvent, .sleep, .hmp, .log, .waitConsole, .sendConsole, .set, .assert, .fail, .start, .stop, .block, .include: return nil
        }
    }

    /// The step's name when it has no `name`: its command, program or event.
    public var defaultName: String {
        switch self {
        case .execute(let execute): return execute.command
        case .waitEvent(let wait): return "wait for \(wait.events.joined(separator: " or "))"
        case .sleep(let duration): return "sleep \(DurationText.format(duration))"
        case .hmp(let command): return "hmp \(command.stringValue ?? "")"
        case .log: return "log"
        case .set(let assignments): return "set " + assignments.map(\.name).joined(separator: ", ")
        case .assert(let condition, _): return "assert \(condition.stringValue ?? condition.jsonText)"
        case .fail: return "fail"
        case .command(let command):
            return command.argv.map { $0.stringValue ?? $0.jsonText }.joined(separator: " ")
        case .agent(let agent): return "agent \(agent.command)"
        case .guestExec(let exec):
            return "guest-exec " + exec.argv.map { $0.stringValue ?? $0.jsonText }.joined(separator: " ")
        case .waitConsole(let wait): return "wait for console /\(wait.pattern.stringValue ?? wait.pattern.jsonText)/"
        case .sendConsole: return "send to the console"
        case .start(let start): return "start \(start.target)"
        case .stop(let stop): return stop.how == .quit ? "stop \(stop.target)" : "stop \(stop.target) (\(stop.how.rawValue))"
        case .block(let block): return "block of \(block.steps.count) step\(block.steps.count == 1 ? "" : "s")"
        case .include(let include): return "include \(include.path)"
        }
    }

    /// The target a `start` or `stop` step names as its value; nil for the other actions.
    public var addressedTarget: String? {
        switch self {
        case .start(let start): return start.target
        case .stop(let stop): return stop.target
        default: return nil
        }
    }
}

/// An `execute` step's command and options.
public struct ExecuteStep: Sendable {
    public var command: String
    /// As written; resolve with ``Template`` before sending.
    public var arguments: JSONObject?
    public var fd: FileDescriptorSpec?
    public var expect: Expectation?
    /// Poll until the return matches this pattern (as written).
    public var until: JSONValue?
    /// Time between polls; the default is 1s.
    public var interval: Duration?
    public var register: String?
}

/// `expect:` — what the reply must be.
public enum Expectation: Sendable {
    /// A success whose `return` matches this pattern (as written).
    case `return`(JSONValue)
    /// A failure whose `error` (`{class, desc}`) matches this pattern (as written).
    case error(JSONValue)
}

/// `fd:` — a file to open and pass with the command by SCM_RIGHTS.
public struct FileDescriptorSpec: Sendable {
    /// The engine's modes, the same for `qmpbook exec --fd` and `fd:` (`write` truncates).
    public typealias Mode = OpenedFile.Mode

    /// As written (may hold `${…}`); relative paths are relative to the playbook's folder.
    public var path: JSONValue
    public var mode: Mode
    public var create: Bool
    /// Permission bits for a created file; 0o600 unless given.
    public var permissions: UInt32
}

/// A `wait-event` step.
public struct WaitEventStep: Sendable {
    /// Any of these event names satisfies the wait.
    public var events: [String]
    /// Pattern on the event's `data` (as written).
    public var match: JSONValue?
    /// Only events received after the step with this id was sent.
    public var since: String?
    public var register: String?
}

/// `loop:` — what a step or block repeats over, and the name each element gets.
public struct StepLoop: Sendable {
    public enum Source: Sendable {
        /// `loop: [a, b]`: the elements as written (each may hold `${…}`).
        case list([JSONValue])
        /// `loop: "${expr}"`: an expression that must give a list when the step runs.
        case expression(String)
        /// `loop: {range: [a, b]}`: a, a+1, …, b-1 (each bound an integer or `${…}`).
        case range(JSONValue, JSONValue)
    }

    public var source: Source
    /// `loop-var:`; `item` unless given.
    public var variable: String

    public init(source: Source, variable: String = "item") {
        self.source = source
        self.variable = variable
    }
}

/// A `block:` step: its steps, the steps that run when one of them failed, and the steps that run after it whatever happened.
public struct BlockStep: Sendable {
    public var steps: [Step]
    public var rescue: [Step]
    public var always: [Step]
}

/// An `include:` step: the steps of another file, decoded in place (each inclusion its own steps).
public struct IncludeStep: Sendable {
    /// The path as written, relative to the including file.
    public var path: String
    /// The included file's path, as its locations name it.
    public var file: String
    /// The included file's `vars` defaults and the step's `vars`, as written (may hold `${…}`): visible inside it only.
    public var vars: [(name: String, value: JSONValue)]
    public var steps: [Step]
}
