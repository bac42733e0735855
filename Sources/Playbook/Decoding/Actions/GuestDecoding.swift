import QMP

// The steps that look inside the guest (SPEC.md §9): `agent`, `guest-exec`,
// `wait-console`, `send-console`.

extension ActionDecoding {
    /// `agent: COMMAND` with `arguments`, `expect`, `until`, `interval`, `register`.
    static let agent = ActionDecoding(kind: .agent, keys: ["arguments", "expect", "until", "interval", "register"]) {
        decoder, step in decoder.decodeAgent(step).map(StepAction.agent)
    }

    /// `guest-exec: [ARGV…] | {argv, env, input}` with `expect`, `until`, `interval`, `register`.
    static let guestExec = ActionDecoding(kind: .guestExec, keys: ["expect", "until", "interval", "register"]) {
        decoder, step in decoder.decodeGuestExec(step).map(StepAction.guestExec)
    }

    /// `wait-console: REGEX` with `since`, `register`.
    static let waitConsole = ActionDecoding(kind: .waitConsole, keys: ["since", "register"]) {
        decoder, step in decoder.decodeWaitConsole(step).map(StepAction.waitConsole)
    }

    /// `send-console: TEXT`.
    static let sendConsole = ActionDecoding(kind: .sendConsole, keys: []) { decoder, step in
        guard let node = step["send-console"], let text = decoder.scalarText(node, what: "send-console") else { return nil }
        decoder.checkTemplates(node)
        return .sendConsole(.string(text))
    }
}

extension PlaybookDecoder {
    static let guestExecLongKeys = ["argv", "env", "input"]

    func decodeAgent(_ step: Fields) -> ExecuteStep? {
        guard let commandNode = step["agent"], let command = string(commandNode, what: "agent") else { return nil }
        if command.isEmpty { error("agent needs a guest agent command name such as guest-ping", at: commandNode) }
        var arguments: JSONObject?
        if let node = step.unlessNull("arguments"), mapping(node, what: "arguments") != nil {
            checkTemplates(node)
            arguments = node.jsonValue.objectValue
        }
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
        let (until, interval) = polling(step, hasExpect: expect != nil)
        let register = step["register"].flatMap { registerName($0) }
        return ExecuteStep(command: command, arguments: arguments, fd: nil, expect: expect, until: until,
                           interval: interval, register: register)
    }

    func decodeGuestExec(_ step: Fields) -> GuestExecStep? {
        guard var argvNode = step["guest-exec"] else { return nil }
        var environment: [String: JSONValue] = [:]
        var input: JSONValue?
        if case .mapping = argvNode.content {
            guard let long = fields(argvNode, of: "guest-exec", allowed: Self.guestExecLongKeys, context: "in guest-exec"),
                  let argv = long.required("argv") else { return nil }
            argvNode = argv
            if let env = long["env"] { environment = self.environment(env, what: "guest-exec.env") }
            if let node = long["input"], let text = scalarText(node, what: "guest-exec.input") {
                checkTemplates(node)
                input = .string(text)
            }
        }
        guard let (argv, elements) = arguments(
            argvNode, what: "a guest-exec argument",
            notAList: "guest-exec must be a list (the guest program and its arguments) or a map with argv, env and input, not \(article(describe(argvNode)))",
            empty: "guest-exec needs at least the program to run in the guest") else { return nil }
        if argv.first?.stringValue?.isEmpty == true { error("guest-exec needs a program name, not an empty string", at: elements[0]) }
        var expect: CommandExpectation?
        if let node = step["expect"],
           let fields = fields(node, of: "expect", allowed: Self.commandExpectKeys, context: "in a guest-exec's expect") {
            if fields.pairs.isEmpty { error("expect needs one of exit, signal, stdout, stderr, json", at: node) }
            expect = CommandExpectation(
                exit: fields["exit"].map { checkedPattern($0, path: "expect.exit") },
                signal: fields["signal"].map { checkedPattern($0, path: "expect.signal") },
                stdout: fields["stdout"].map { checkedPattern($0, path: "expect.stdout") },
                stderr: fields["stderr"].map { checkedPattern($0, path: "expect.stderr") },
                json: fields["json"].map { checkedPattern($0, path: "expect.json") })
        }
        let (until, interval) = polling(step, hasExpect: expect != nil)
        let register = step["register"].flatMap { registerName($0) }
        return GuestExecStep(argv: argv, environment: environment, input: input, expect: expect,
                             until: until, interval: interval, register: register)
    }

    func decodeWaitConsole(_ step: Fields) -> WaitConsoleStep? {
        guard let node = step["wait-console"], let text = scalarText(node, what: "wait-console") else { return nil }
        checkTemplates(node)
        if text.isEmpty {
            error("wait-console needs a regular expression to wait for", at: node)
        } else if !text.contains("${"), RegularExpression(text) == nil {
            error("wait-console: '\(text)' is not a valid regular expression", at: node)
        }
        let since = step["since"].flatMap { sinceStep($0) }
        let register = step["register"].flatMap { registerName($0) }
        return WaitConsoleStep(pattern: .string(text), since: since, register: register)
    }

    /// `since: ID`: an earlier step's id.
    func sinceStep(_ node: YAMLNode) -> String? {
        guard let id = text(node, what: "since") else { return nil }
        if stepIDs[id] == nil, !earlierIDs.contains(id) {
            if allStepIDs.contains(id) {
                error("since names step '\(id)', which comes after this one; it must name an earlier step", at: node)
            } else {
                let hint = NameSuggestion.hint(for: id, among: allStepIDs)
                error("since names step '\(id)', but no step has that id\(hint)", at: node)
            }
        }
        return id
    }
}
