import QMP
import FoundationEssentials

/// Checks a YAML tree against the playbook format and builds the model,
/// collecting every problem rather than stopping at the first.
final class PlaybookDecoder {
    let file: String
    let overrides: [String: JSONValue]
    var diagnostics: [Diagnostic] = []

    static let topKeys = ["name", "description", "version", "vars", "timeout", "always-timeout", "defaults", "targets", "steps", "always"]
    static let defaultsKeys = ["target", "timeout", "interval", "ignore-errors", "redact"]
    static let targetKeys = ["connect", "listen", "launch", "libvirt", "capabilities", "timeout", "autostart", "console", "agent"]
    static let launchKeys = ["command", "env"]
    static let libvirtKeys = ["uri", "domain", "create"]
    static let libvirtCreateKeys = ["xml", "paused"]

    /// What the steps may use: targets, defaults, names of variables.
    var targetNames: [String] = []
    /// The libvirt targets by name, for the checks of the steps on them.
    var libvirtTargets: [String: LibvirtTarget] = [:]
    var defaultTarget: String?
    var defaultTimeout: Duration?
    var defaultInterval: Duration?
    var defaultIgnoreErrors = false
    var defaultRedact = false
    var defined: Set<String> = []
    /// `vars` that are plain scalars (no `${…}`, not replaced by `--var`, not
    /// yet registered or set by a step): `${name.key}` into one can never work.
    var scalarVars: [String: JSONValue] = [:]
    var allStepIDs: Set<String> = []
    var stepIDs: [String: SourceLocation] = [:]
    /// The next step's ``Step/index`` (pre-order over every step, nested ones too, of every included file).
    var nextIndex = 0
    /// The files being decoded, outermost first, as `include` follows them (for cycles).
    var includeChain: [(path: String, canonical: String)] = []
    /// Ids of steps of the including files written before the include (a `since` may name them).
    var earlierIDs: Set<String> = []
    /// An included file's `vars` names: defined inside it only.
    var scopedNames: Set<String> = []
    /// The current step's values left to the run (``Step/late``).
    var lateValues: [String: String] = [:]

    /// The environment `${env.NAME}` is checked against.
    let environment: [String: String]

    /// The file's text, for ``positions``.
    private let source: [UInt8]

    /// Where the characters of scalars stand, for errors inside a `${…}`:
    /// built on the first such error, since most playbooks have none.
    private(set) lazy var positions = ScalarPositions(source: source)

    init(file: String, overrides: [String: JSONValue], environment: [String: String], source: [UInt8] = []) {
        self.file = file
        self.source = source
        self.overrides = overrides
        self.environment = environment
    }

    // MARK: - Top level

    func decode(_ root: YAMLNode, directory: String, sha256: String) -> Playbook? {
        guard let top = fields(root, of: "the playbook", allowed: Self.topKeys, context: "at the top level of a playbook") else { return nil }

        let name = top.required("name").flatMap { text($0, what: "name") }
        let description = top["description"].flatMap { text($0, what: "description") }
        if let version = top["version"], version.jsonValue != .int(1) {
            if version.scalarText == "1" {
                error("version must be the number 1, not the text \"1\": write version: 1 without quotes", at: version)
            } else {
                error("this qmpbook reads playbook format version 1, not \(version.scalarText ?? describe(version))", at: version)
            }
        }

        var vars = JSONObject()
        if let node = top.unlessNull("vars"), let pairs = mapping(node, what: "vars") {
            for pair in pairs {
                let key = pair.key.scalarText ?? ""
                if Variables.builtinNames.contains(key) {
                    error("'\(key)' is a built-in name (${\(key).…}); choose another variable name", at: pair.key)
                } else if key.isEmpty || !key.utf8.allSatisfy(Template.isNameByte) {
                    error("variable name '\(key)' cannot be used in ${…}: use letters, digits, '_' and '-'", at: pair.key)
                }
                vars[key] = pair.value.jsonValue
            }
            checkVarCycles(pairs)
        }
        defined = Set(vars.keys).union(overrides.keys).union(Variables.builtinNames)
        for key in vars.keys where overrides[key] == nil {
            switch vars[key] ?? .null {
            case .string(let text) where !text.contains("${"): scalarVars[key] = vars[key]
            case .int, .uint, .double, .bool, .null: scalarVars[key] = vars[key]
            default: break
            }
        }
        if let node = top.unlessNull("vars"), case .mapping(let pairs) = node.content {
            for pair in pairs { checkTemplates(pair.value) }
        }

        let timeout = top["timeout"].flatMap { duration($0, what: "timeout") }
        var alwaysTimeout: Duration?
        if let node = top["always-timeout"], let value = duration(node, what: "always-timeout") {
            if value > .zero {
                alwaysTimeout = value
            } else {
                error("always-timeout must be longer than 0: it is the time the always steps get together", at: node)
            }
        }
        let targets = decodeTargets(top)
        decodeDefaults(top)

        collectStepIDs(top["steps"])
        collectStepIDs(top.unlessNull("always"))
        var steps: [Step] = []
        if let node = top.required("steps"), let elements = sequence(node, what: "steps") {
            if elements.isEmpty { error("'steps' needs at least one step", at: node) }
            steps.reserveCapacity(elements.count)
            for element in elements {
                if let step = decodeStep(element, phase: .main) { steps.append(step) }
            }
        }
        var always: [Step] = []
        if let node = top.unlessNull("always"), let elements = sequence(node, what: "always") {
            for element in elements {
                if let step = decodeStep(element, phase: .always) { always.append(step) }
            }
        }

        checkLibvirtSteps(StepTree(steps, always))
        checkChannels(of: targets, usedBy: StepTree(steps, always))

        guard let name, diagnostics.isEmpty else { return nil }
        return Playbook(name: name, description: description, path: file, directory: directory, sha256: sha256,
                        vars: vars, timeout: timeout, alwaysTimeout: alwaysTimeout, targets: targets, steps: steps, always: always)
    }

    func decodeDefaults(_ top: Fields) {
        guard let node = top.unlessNull("defaults"), let defaults = fields(node, of: "defaults", allowed: Self.defaultsKeys, context: "in defaults") else { return }
        if let target = defaults["target"], let name = string(target, what: "defaults.target") {
            checkTargetExists(name, at: target)
            defaultTarget = name
        }
        defaultTimeout = defaults["timeout"].flatMap { duration($0, what: "defaults.timeout") }
        defaultInterval = defaults["interval"].flatMap { duration($0, what: "defaults.interval") }
        defaultIgnoreErrors = defaults["ignore-errors"].flatMap { bool($0, what: "defaults.ignore-errors") } ?? false
        defaultRedact = defaults["redact"].flatMap { bool($0, what: "defaults.redact") } ?? false
    }
}
