import QMP

/// Checks a YAML tree against the playbook format and builds the model,
/// collecting every problem rather than stopping at the first.
final class PlaybookDecoder {
    let file: String
    let overrides: [String: JSONValue]
    private(set) var diagnostics: [Diagnostic] = []

    static let topKeys = ["name", "description", "version", "vars", "timeout", "defaults", "targets", "steps", "always"]
    static let defaultsKeys = ["target", "timeout", "interval", "ignore-errors", "redact"]
    static let targetKeys = ["connect", "listen", "launch", "capabilities", "timeout"]
    static let launchKeys = ["command", "env"]
    static let commonStepKeys = ["name", "id", "target", "timeout", "ignore-errors", "tags", "redact"]
    static let actionKeys = ["execute", "wait-event", "sleep", "hmp", "log", "command"]
    static let executeKeys = ["arguments", "fd", "expect", "until", "interval", "register"]
    static let waitEventKeys = ["match", "since", "register"]
    static let commandKeys = ["expect", "until", "interval", "register"]
    static let commandLongKeys = ["argv", "env", "cwd", "stdin"]
    static let commandExpectKeys = ["exit", "signal", "stdout", "stderr", "json"]
    static let allStepKeys = commonStepKeys + actionKeys + executeKeys + waitEventKeys.filter { $0 != "register" }
    static let fdKeys = ["path", "mode", "create", "perm"]
    static let expectKeys = ["return", "error"]

    /// What the steps may use: targets, defaults, names of variables.
    private var targetNames: [String] = []
    private var defaultTarget: String?
    private var defaultTimeout: Duration?
    private var defaultInterval: Duration?
    private var defaultIgnoreErrors = false
    private var defaultRedact = false
    private var defined: Set<String> = []
    private var allStepIDs: Set<String> = []
    private var stepIDs: [String: SourceLocation] = [:]

    /// The environment `${env.NAME}` is checked against.
    private let environment: [String: String]

    init(file: String, overrides: [String: JSONValue], environment: [String: String]) {
        self.file = file
        self.overrides = overrides
        self.environment = environment
    }

    // MARK: - Top level

    func decode(_ root: YAMLNode, directory: String, sha256: String) -> Playbook? {
        guard let top = fields(root, of: "the playbook", allowed: Self.topKeys, context: "at the top level of a playbook") else { return nil }

        let name = top.required("name").flatMap { text($0, what: "name") }
        let description = top["description"].flatMap { text($0, what: "description") }
        if let version = top["version"], version.jsonValue != .int(1) {
            error("this qmpbook reads playbook format version 1, not \(version.scalarText ?? describe(version))", at: version)
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
        }
        defined = Set(vars.keys).union(overrides.keys).union(Variables.builtinNames)
        if let node = top.unlessNull("vars"), case .mapping(let pairs) = node.content {
            for pair in pairs { checkTemplates(pair.value) }
        }

        let timeout = top["timeout"].flatMap { duration($0, what: "timeout") }
        let targets = decodeTargets(top)
        decodeDefaults(top)

        collectStepIDs(top["steps"])
        collectStepIDs(top.unlessNull("always"))
        var steps: [Step] = []
        if let node = top.required("steps"), let elements = sequence(node, what: "steps") {
            if elements.isEmpty { error("'steps' needs at least one step", at: node) }
            for element in elements {
                if let step = decodeStep(element, index: steps.count, phase: .main) { steps.append(step) }
            }
        }
        var always: [Step] = []
        if let node = top.unlessNull("always"), let elements = sequence(node, what: "always") {
            for element in elements {
                if let step = decodeStep(element, index: steps.count + always.count, phase: .always) { always.append(step) }
            }
        }

        guard let name, diagnostics.isEmpty else { return nil }
        return Playbook(name: name, description: description, path: file, directory: directory, sha256: sha256,
                        vars: vars, timeout: timeout, targets: targets, steps: steps, always: always)
    }

    private func decodeDefaults(_ top: Fields) {
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

    // MARK: - Targets

    private func decodeTargets(_ top: Fields) -> [TargetSpec] {
        guard let node = top.required("targets"), let pairs = mapping(node, what: "targets") else { return [] }
        if pairs.isEmpty { error("'targets' needs at least one target", at: node) }
        var targets: [TargetSpec] = []
        for pair in pairs {
            let name = pair.key.scalarText ?? ""
            targetNames.append(name)
            if let target = decodeTarget(name: name, pair.value, key: pair.key) { targets.append(target) }
        }
        return targets
    }

    private func decodeTarget(name: String, _ node: YAMLNode, key: YAMLNode) -> TargetSpec? {
        guard let target = fields(node, of: "target '\(name)'", allowed: Self.targetKeys, context: "in target '\(name)'") else { return nil }
        let present = ["connect", "listen", "launch"].filter { target[$0] != nil }
        var mode: TargetSpec.Mode?
        if present.isEmpty {
            error("target '\(name)' needs one of connect, listen or launch", at: node)
        } else if present.count > 1 {
            error("target '\(name)' has both \(present[0]) and \(present[1]); give only one", at: target.keyNode(present[1]) ?? node)
        } else if let address = target["connect"] {
            mode = self.address(address, what: "connect").map(TargetSpec.Mode.connect)
        } else if let address = target["listen"] {
            mode = self.address(address, what: "listen").map(TargetSpec.Mode.listen)
        } else if let launch = target["launch"] {
            mode = decodeLaunch(launch)
        }
        var capabilities: [String] = []
        if let node = target.unlessNull("capabilities") { capabilities = strings(node, what: "capabilities") }
        let timeout = target["timeout"].flatMap { duration($0, what: "timeout") }
        guard let mode else { return nil }
        return TargetSpec(name: name, mode: mode, capabilities: capabilities, timeout: timeout, location: location(key))
    }

    private func address(_ node: YAMLNode, what: String) -> String? {
        guard let text = string(node, what: what) else { return nil }
        if text.contains("${") {
            checkTemplates(node)
        } else {
            do {
                _ = try MonitorAddress(parsing: text)
            } catch {
                self.error("\(what): \(error.description)", at: node)
                return nil
            }
        }
        return text
    }

    private func decodeLaunch(_ node: YAMLNode) -> TargetSpec.Mode? {
        var commandNode = node
        var environment: [String: JSONValue] = [:]
        if case .mapping = node.content {
            guard let launch = fields(node, of: "launch", allowed: Self.launchKeys, context: "in launch"),
                  let command = launch.required("command") else { return nil }
            commandNode = command
            if let env = launch["env"], let pairs = mapping(env, what: "launch.env") {
                for pair in pairs {
                    if let value = scalarText(pair.value, what: "the value of environment variable '\(pair.key.scalarText ?? "")'") {
                        environment[pair.key.scalarText ?? ""] = .string(value)
                        checkTemplates(pair.value)
                    }
                }
            }
        }
        guard case .sequence(let elements) = commandNode.content else {
            error("launch must be a list (the QEMU command and its arguments) or a map with command and env, not a \(describe(commandNode))", at: commandNode)
            return nil
        }
        guard !elements.isEmpty else {
            error("launch needs at least the QEMU program", at: commandNode)
            return nil
        }
        var command: [JSONValue] = []
        for element in elements {
            guard let text = scalarText(element, what: "a launch argument") else { continue }
            checkTemplates(element)
            if text == "-daemonize" || text == "--daemonize" {
                // QEMU would fork and its first process exit at once: qmpbook could
                // neither tell a crash from success nor stop the VM it started.
                error("launch: remove \(text): qmpbook owns the QEMU it launches and must see that process exit", at: element)
            }
            command.append(.string(text))
        }
        return .launch(command: command, environment: environment)
    }

    private func checkTargetExists(_ name: String, at node: YAMLNode) {
        guard !targetNames.contains(name) else { return }
        let hint = EditDistance.closest(to: name, among: targetNames).map { " (did you mean '\($0)'?)" } ?? ""
        error("undefined target '\(name)'\(hint); targets: \(targetNames.joined(separator: ", "))", at: node)
    }

    // MARK: - Steps

    private func collectStepIDs(_ node: YAMLNode?) {
        guard let node, case .sequence(let elements) = node.content else { return }
        for element in elements {
            guard case .mapping(let pairs) = element.content else { continue }
            for pair in pairs where pair.key.scalarText == "id" {
                if let id = pair.value.scalarText { allStepIDs.insert(id) }
            }
        }
    }

    private func decodeStep(_ node: YAMLNode, index: Int, phase: Step.Phase) -> Step? {
        guard let step = fields(node, of: "a step", allowed: nil, context: nil) else { return nil }
        let actions = step.pairs.filter { Self.actionKeys.contains($0.key.scalarText ?? "") }
        var actionName: String?
        if actions.isEmpty {
            error("a step needs one action: execute, wait-event, sleep, hmp, log or command", at: node)
        } else {
            actionName = actions[0].key.scalarText
            for extra in actions.dropFirst() {
                error("a step has exactly one action, but this one has \(actionName!) and \(extra.key.scalarText!)", at: extra.key)
            }
        }
        let allowed: [String]
        switch actionName {
        case "execute": allowed = Self.commonStepKeys + Self.actionKeys + Self.executeKeys
        case "wait-event": allowed = Self.commonStepKeys + Self.actionKeys + Self.waitEventKeys
        // A command runs on the host: no target.
        case "command": allowed = Self.commonStepKeys.filter { $0 != "target" } + Self.actionKeys + Self.commandKeys
        case nil: allowed = Self.allStepKeys
        default: allowed = Self.commonStepKeys + Self.actionKeys
        }
        for pair in step.pairs {
            let key = pair.key.scalarText ?? ""
            guard !allowed.contains(key) else { continue }
            if Self.allStepKeys.contains(key), let actionName {
                error("'\(key)' does not apply to a \(actionName) step", at: pair.key)
            } else {
                unknownKey(key, at: pair.key, candidates: Self.allStepKeys, context: "in a step")
            }
        }

        var locations: [String: SourceLocation] = [:]
        for pair in step.pairs {
            let key = pair.key.scalarText ?? ""
            locations[key] = location(pair.key)
            record(pair.value, path: key, into: &locations)
        }

        let id = step["id"].flatMap { text($0, what: "id") }
        if let id, let idNode = step["id"] {
            if let first = stepIDs[id] {
                error("duplicate step id '\(id)' (first used at line \(first.line))", at: idNode)
            } else {
                stepIDs[id] = location(idNode)
            }
        }
        var target: String?
        if let node = step["target"], let name = string(node, what: "target") {
            checkTargetExists(name, at: node)
            target = name
        }
        target = target ?? defaultTarget ?? (targetNames.count == 1 ? targetNames[0] : nil)
        let timeout = step["timeout"].flatMap { duration($0, what: "timeout") } ?? defaultTimeout
        let ignoreErrors = step["ignore-errors"].flatMap { bool($0, what: "ignore-errors") } ?? defaultIgnoreErrors
        let redact = step["redact"].flatMap { bool($0, what: "redact") } ?? defaultRedact
        let tags = step.unlessNull("tags").map { strings($0, what: "tags") } ?? []
        let explicitName = step["name"].flatMap { text($0, what: "name") }

        var action: StepAction?
        var register: (name: String, node: YAMLNode)?
        switch actionName {
        case "execute":
            if let execute = decodeExecute(step) {
                action = .execute(execute)
                if let name = execute.register, let node = step["register"] { register = (name, node) }
            }
        case "wait-event":
            if let wait = decodeWaitEvent(step) {
                action = .waitEvent(wait)
                if let name = wait.register, let node = step["register"] { register = (name, node) }
            }
        case "sleep":
            action = step["sleep"].flatMap { duration($0, what: "sleep") }.map(StepAction.sleep)
        case "hmp":
            if let node = step["hmp"], let text = string(node, what: "hmp") {
                checkTemplates(node)
                action = .hmp(.string(text))
            }
        case "log":
            if let node = step["log"], let text = scalarText(node, what: "log") {
                checkTemplates(node)
                action = .log(.string(text))
            }
        case "command":
            target = nil
            if let command = decodeCommand(step) {
                action = .command(command)
                if let name = command.register, let node = step["register"] { register = (name, node) }
            }
        default:
            break
        }
        if let actionName, ["execute", "wait-event", "hmp"].contains(actionName), target == nil, !targetNames.isEmpty {
            error("this step needs 'target': the playbook has \(targetNames.count) targets and no defaults.target", at: node)
        }
        // A register is defined for the steps after this one, not for this one's own values.
        if let register { defined.insert(register.name) }

        guard let action else { return nil }
        return Step(index: index, id: id, name: explicitName ?? defaultName(action), target: target, timeout: timeout,
                    ignoreErrors: ignoreErrors, tags: tags, redact: redact, action: action,
                    location: location(node), phase: phase, locations: locations)
    }

    private func defaultName(_ action: StepAction) -> String {
        switch action {
        case .execute(let execute): return execute.command
        case .waitEvent(let wait): return "wait for \(wait.events.joined(separator: " or "))"
        case .sleep(let duration): return "sleep \(DurationText.format(duration))"
        case .hmp(let command): return "hmp \(command.stringValue ?? "")"
        case .log: return "log"
        case .command(let command):
            return command.argv.map { $0.stringValue ?? $0.jsonText }.joined(separator: " ")
        }
    }

    private func decodeExecute(_ step: Fields) -> ExecuteStep? {
        guard let commandNode = step["execute"], let command = string(commandNode, what: "execute") else { return nil }
        if command.isEmpty { error("execute needs a QMP command name", at: commandNode) }
        var arguments: JSONObject?
        if let node = step.unlessNull("arguments"), mapping(node, what: "arguments") != nil {
            checkTemplates(node)
            arguments = node.jsonValue.objectValue
        }
        let fd = step["fd"].flatMap(decodeFileDescriptor)
        var expect: Expectation?
        if let node = step["expect"], let fields = fields(node, of: "expect", allowed: Self.expectKeys, context: "in expect") {
            if let value = fields["return"], fields["error"] == nil {
                expect = .return(checkedPattern(value, path: "expect.return"))
            } else if let value = fields["error"], fields["return"] == nil {
                expect = .error(checkedPattern(value, path: "expect.error"))
            } else if fields["return"] != nil {
                error("expect takes either return or error, not both", at: fields.keyNode("error") ?? node)
            } else {
                error("expect needs return: PATTERN or error: PATTERN", at: node)
            }
        }
        let until = step["until"].map { checkedPattern($0, path: "until") }
        let interval = step["interval"].flatMap { duration($0, what: "interval") } ?? (until != nil ? defaultInterval : nil)
        if let node = step["interval"], until == nil {
            error("interval only applies with until", at: node)
        }
        if until != nil, expect != nil, let node = step["until"] {
            error("a step takes until or expect, not both", at: node)
        }
        let register = step["register"].flatMap(registerName)
        return ExecuteStep(command: command, arguments: arguments, fd: fd, expect: expect, until: until,
                           interval: interval, register: register)
    }

    private func decodeCommand(_ step: Fields) -> CommandStep? {
        guard var argvNode = step["command"] else { return nil }
        var environment: [String: JSONValue] = [:]
        var directory: JSONValue?
        var input: JSONValue?
        if case .mapping = argvNode.content {
            guard let long = fields(argvNode, of: "command", allowed: Self.commandLongKeys, context: "in command"),
                  let argv = long.required("argv") else { return nil }
            argvNode = argv
            if let env = long["env"], let pairs = mapping(env, what: "command.env") {
                for pair in pairs {
                    let name = pair.key.scalarText ?? ""
                    if let value = scalarText(pair.value, what: "the value of environment variable '\(name)'") {
                        environment[name] = .string(value)
                        checkTemplates(pair.value)
                    }
                }
            }
            if let node = long["cwd"], let text = string(node, what: "command.cwd") {
                checkTemplates(node)
                directory = .string(text)
            }
            if let node = long["stdin"], let text = scalarText(node, what: "command.stdin") {
                checkTemplates(node)
                input = .string(text)
            }
        }
        guard case .sequence(let elements) = argvNode.content else {
            error("command must be a list (the program and its arguments) or a map with argv, env, cwd and stdin, not \(article(describe(argvNode)))", at: argvNode)
            return nil
        }
        guard !elements.isEmpty else {
            error("command needs at least the program to run", at: argvNode)
            return nil
        }
        var argv: [JSONValue] = []
        for element in elements {
            guard let text = scalarText(element, what: "a command argument") else { continue }
            checkTemplates(element)
            argv.append(.string(text))
        }
        if argv.first?.stringValue?.isEmpty == true { error("command needs a program name, not an empty string", at: elements[0]) }

        var expect: CommandExpectation?
        if let node = step["expect"],
           let fields = fields(node, of: "expect", allowed: Self.commandExpectKeys, context: "in a command's expect") {
            if fields.pairs.isEmpty { error("expect needs one of exit, signal, stdout, stderr, json", at: node) }
            expect = CommandExpectation(
                exit: fields["exit"].map { checkedPattern($0, path: "expect.exit") },
                signal: fields["signal"].map { checkedPattern($0, path: "expect.signal") },
                stdout: fields["stdout"].map { checkedPattern($0, path: "expect.stdout") },
                stderr: fields["stderr"].map { checkedPattern($0, path: "expect.stderr") },
                json: fields["json"].map { checkedPattern($0, path: "expect.json") })
        }
        let until = step["until"].map { checkedPattern($0, path: "until") }
        let interval = step["interval"].flatMap { duration($0, what: "interval") } ?? (until != nil ? defaultInterval : nil)
        if let node = step["interval"], until == nil {
            error("interval only applies with until", at: node)
        }
        if until != nil, expect != nil, let node = step["until"] {
            error("a step takes until or expect, not both", at: node)
        }
        let register = step["register"].flatMap(registerName)
        return CommandStep(argv: argv, environment: environment, directory: directory, input: input, expect: expect,
                           until: until, interval: interval, register: register)
    }

    private func decodeWaitEvent(_ step: Fields) -> WaitEventStep? {
        guard let node = step["wait-event"] else { return nil }
        var events: [String] = []
        if case .sequence(let elements) = node.content {
            if elements.isEmpty { error("wait-event needs at least one event name", at: node) }
            events = elements.compactMap { string($0, what: "an event name") }
        } else if let name = string(node, what: "wait-event") {
            events = [name]
        }
        let match = step["match"].map { checkedPattern($0, path: "match") }
        var since: String?
        if let node = step["since"], let id = text(node, what: "since") {
            if stepIDs[id] == nil {
                if allStepIDs.contains(id) {
                    error("since names step '\(id)', which comes after this one; it must name an earlier step", at: node)
                } else {
                    let hint = EditDistance.closest(to: id, among: allStepIDs).map { " (did you mean '\($0)'?)" } ?? ""
                    error("since names step '\(id)', but no step has that id\(hint)", at: node)
                }
            }
            since = id
        }
        let register = step["register"].flatMap(registerName)
        return WaitEventStep(events: events, match: match, since: since, register: register)
    }

    private func decodeFileDescriptor(_ node: YAMLNode) -> FileDescriptorSpec? {
        guard let fd = fields(node, of: "fd", allowed: Self.fdKeys, context: "in fd") else { return nil }
        guard let pathNode = fd.required("path"), let path = string(pathNode, what: "fd.path") else { return nil }
        checkTemplates(pathNode)
        if path.isEmpty { error("fd.path is empty; name the file to open", at: pathNode) }
        var mode = FileDescriptorSpec.Mode.read
        if let node = fd["mode"], let text = string(node, what: "fd.mode") {
            if let value = FileDescriptorSpec.Mode(rawValue: text) {
                mode = value
            } else {
                let names = FileDescriptorSpec.Mode.allCases.map(\.rawValue)
                let hint = EditDistance.closest(to: text, among: names).map { " (did you mean '\($0)'?)" } ?? ""
                error("fd.mode '\(text)' is not one of \(names.joined(separator: ", "))\(hint)", at: node)
            }
        }
        let create = fd["create"].flatMap { bool($0, what: "fd.create") } ?? false
        var permissions: UInt32 = 0o600
        if let node = fd["perm"] {
            if let value = octal(node) {
                permissions = value
            } else {
                error("fd.perm must be octal permission bits from 0000 to 0777 such as 0600, 0o600 or \"0600\", not \(node.scalarText.map { "'\($0)'" } ?? describe(node))", at: node)
            }
        }
        return FileDescriptorSpec(path: .string(path), mode: mode, create: create, permissions: permissions)
    }

    /// `perm` is octal however it is written: `0600`, `0o600`, `"0600"`, `600`.
    private func octal(_ node: YAMLNode) -> UInt32? {
        guard var text = node.scalarText else { return nil }
        if text.hasPrefix("0o") { text.removeFirst(2) }
        guard !text.isEmpty, let value = UInt32(text, radix: 8), value <= 0o777 else { return nil }
        return value
    }

    private func registerName(_ node: YAMLNode) -> String? {
        guard let name = string(node, what: "register") else { return nil }
        if Variables.builtinNames.contains(name) {
            error("'\(name)' is a built-in name; register under another name", at: node)
        } else if name.isEmpty || !name.utf8.allSatisfy(Template.isNameByte) {
            error("register name '\(name)' cannot be used in ${…}: use letters, digits, '_' and '-'", at: node)
        }
        return name
    }

    /// The pattern's value, after checking its operators and templates.
    private func checkedPattern(_ node: YAMLNode, path: String) -> JSONValue {
        checkTemplates(node)
        let value = node.jsonValue
        do {
            try Pattern.check(value) { operand in
                guard case .string(let text) = operand else { return false }
                return (try? Template.references(in: text))?.isEmpty == false
            }
        } catch {
            var locations: [String: SourceLocation] = [path: location(node)]
            record(node, path: path, into: &locations)
            var key = ([path] + error.path).joined(separator: ".")
            while locations[key] == nil, let dot = key.lastIndex(of: ".") { key = String(key[..<dot]) }
            diagnostics.append(Diagnostic("in \(path): \(error.message)", at: locations[key] ?? location(node)))
        }
        return value
    }

    // MARK: - Templates

    /// Reports malformed `${…}` and names not defined at this point, in every string under `node`.
    private func checkTemplates(_ node: YAMLNode) {
        switch node.content {
        case .scalar(let text, _, _):
            guard text.contains("$") else { return }
            let references: [[String]]
            do {
                references = try Template.references(in: text)
            } catch {
                self.error(error.message, at: node)
                return
            }
            for path in references { checkReference(path, at: node) }
        case .sequence(let elements):
            for element in elements { checkTemplates(element) }
        case .mapping(let pairs):
            for pair in pairs { checkTemplates(pair.value) }
        }
    }

    private func checkReference(_ path: [String], at node: YAMLNode) {
        let name = path[0]
        let reference = path.joined(separator: ".")
        switch name {
        case "env":
            if path.count != 2 {
                error("'${\(reference)}': write ${env.NAME} for an environment variable", at: node)
            } else if environment[path[1]] == nil {
                error("environment variable '\(path[1])' is not set (in '${\(reference)}')", at: node)
            }
        case "playbook":
            if path != ["playbook", "dir"] { error("'${\(reference)}' is not defined: the built-in is ${playbook.dir}", at: node) }
        case "run":
            if path != ["run", "dir"] { error("'${\(reference)}' is not defined: the built-in is ${run.dir}", at: node) }
        default:
            guard !defined.contains(name) else { return }
            let hint = EditDistance.closest(to: name, among: defined.subtracting(Variables.builtinNames)).map { " (did you mean '\($0)'?)" } ?? ""
            error("undefined variable '\(name)' in '${\(reference)}'\(hint): define it in vars, with --var, or register it in an earlier step", at: node)
        }
    }

    // MARK: - Typed values

    struct Fields {
        var pairs: [YAMLPair]

        subscript(key: String) -> YAMLNode? {
            pairs.first { $0.key.scalarText == key }?.value
        }

        func keyNode(_ key: String) -> YAMLNode? {
            pairs.first { $0.key.scalarText == key }?.key
        }

        var owner: YAMLNode
        unowned let decoder: PlaybookDecoder
        var what: String

        /// The value of `key`, nil when absent or written empty (`vars:` with
        /// everything commented out); for optional collections.
        func unlessNull(_ key: String) -> YAMLNode? {
            guard let node = self[key] else { return nil }
            if node.isPlainScalar, node.jsonValue.isNull { return nil }
            return node
        }

        /// The value of `key`; reports it missing (at the map) when absent.
        func required(_ key: String) -> YAMLNode? {
            guard let node = self[key] else {
                decoder.error("\(what) needs '\(key)'", at: owner)
                return nil
            }
            return node
        }
    }

    /// The members of a map, after reporting unknown keys (when `allowed` is given).
    private func fields(_ node: YAMLNode, of what: String, allowed: [String]?, context: String?) -> Fields? {
        guard let pairs = mapping(node, what: what) else { return nil }
        if let allowed, let context {
            for pair in pairs {
                let key = pair.key.scalarText ?? ""
                if !allowed.contains(key) { unknownKey(key, at: pair.key, candidates: allowed, context: context) }
            }
        }
        return Fields(pairs: pairs, owner: node, decoder: self, what: what)
    }

    private func unknownKey(_ key: String, at node: YAMLNode, candidates: [String], context: String) {
        let hint = EditDistance.closest(to: key, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
        error("unknown key '\(key)' \(context)\(hint)", at: node)
    }

    private func mapping(_ node: YAMLNode, what: String) -> [YAMLPair]? {
        guard case .mapping(let pairs) = node.content else {
            error("\(what) must be a map, not \(article(describe(node)))", at: node)
            return nil
        }
        return pairs
    }

    private func sequence(_ node: YAMLNode, what: String) -> [YAMLNode]? {
        guard case .sequence(let elements) = node.content else {
            error("\(what) must be a list, not \(article(describe(node)))", at: node)
            return nil
        }
        return elements
    }

    /// A scalar that resolves to a string.
    private func string(_ node: YAMLNode, what: String) -> String? {
        guard case .scalar(let text, _, _) = node.content, case .string = node.jsonValue else {
            error("\(what) must be a string, not \(article(describe(node)))", at: node)
            return nil
        }
        return text
    }

    /// Any scalar but null, as its text (`name: 42` is the name "42").
    private func text(_ node: YAMLNode, what: String) -> String? {
        guard case .scalar(let text, _, _) = node.content, !node.jsonValue.isNull else {
            error("\(what) must be text, not \(article(describe(node)))", at: node)
            return nil
        }
        return text
    }

    private func scalarText(_ node: YAMLNode, what: String) -> String? {
        guard case .scalar(let text, _, _) = node.content else {
            error("\(what) must be a scalar, not \(article(describe(node)))", at: node)
            return nil
        }
        return text
    }

    private func strings(_ node: YAMLNode, what: String) -> [String] {
        guard let elements = sequence(node, what: what) else { return [] }
        return elements.compactMap { string($0, what: "each of \(what)") }
    }

    private func bool(_ node: YAMLNode, what: String) -> Bool? {
        guard case .bool(let value) = node.jsonValue, case .scalar = node.content else {
            error("\(what) must be true or false, not \(article(describe(node)))", at: node)
            return nil
        }
        return value
    }

    private func duration(_ node: YAMLNode, what: String) -> Duration? {
        if case .scalar(let text, _, _) = node.content {
            let value = node.jsonValue
            if let seconds = value.doubleValue, value.isNumber, let duration = DurationText.seconds(seconds) { return duration }
            if case .string = value, let duration = DurationText.parse(text) { return duration }
            error("\(what): \(DurationText.problem(with: text))", at: node)
            return nil
        }
        error("\(what) must be a duration such as 5s, not \(article(describe(node)))", at: node)
        return nil
    }

    // MARK: - Places and messages

    private func record(_ node: YAMLNode, path: String, into locations: inout [String: SourceLocation]) {
        switch node.content {
        case .scalar:
            break
        case .sequence(let elements):
            for (index, element) in elements.enumerated() {
                let inner = "\(path).\(index)"
                locations[inner] = location(element)
                record(element, path: inner, into: &locations)
            }
        case .mapping(let pairs):
            for pair in pairs {
                let inner = "\(path).\(pair.key.scalarText ?? "")"
                locations[inner] = location(pair.key)
                record(pair.value, path: inner, into: &locations)
            }
        }
    }

    func location(_ node: YAMLNode) -> SourceLocation {
        SourceLocation(file: file, line: node.line, column: node.column)
    }

    func error(_ message: String, at node: YAMLNode) {
        diagnostics.append(Diagnostic(message, at: location(node)))
    }

    private func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .scalar: return node.jsonValue.typeName
        case .sequence: return "list"
        case .mapping: return "map"
        }
    }

    private func article(_ noun: String) -> String {
        noun.withArticle
    }
}
