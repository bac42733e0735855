import QMP

extension ActionDecoding {
    /// `command: [ARGV…] | {argv, env, cwd, stdin}` with `expect`, `until`, `interval`, `register` (SPEC.md §7.1).
    static let command = ActionDecoding(kind: .command, keys: ["expect", "until", "interval", "register"]) {
        decoder, step in decoder.decodeCommand(step).map(StepAction.command)
    }
}

extension PlaybookDecoder {
    static let commandLongKeys = ["argv", "env", "cwd", "stdin"]
    static let commandExpectKeys = ["exit", "signal", "stdout", "stderr", "json"]

    func decodeCommand(_ step: Fields) -> CommandStep? {
        guard var argvNode = step["command"] else { return nil }
        var environment: [String: JSONValue] = [:]
        var directory: JSONValue?
        var input: JSONValue?
        if case .mapping = argvNode.content {
            guard let long = fields(argvNode, of: "command", allowed: Self.commandLongKeys, context: "in command"),
                  let argv = long.required("argv") else { return nil }
            argvNode = argv
            if let env = long["env"] { environment = self.environment(env, what: "command.env") }
            if let node = long["cwd"], let text = string(node, what: "command.cwd") {
                checkTemplates(node)
                directory = .string(text)
            }
            if let node = long["stdin"], let text = scalarText(node, what: "command.stdin") {
                checkTemplates(node)
                input = .string(text)
            }
        }
        guard let (argv, elements) = arguments(
            argvNode, what: "a command argument",
            notAList: "command must be a list (the program and its arguments) or a map with argv, env, cwd and stdin, not \(article(describe(argvNode)))",
            empty: "command needs at least the program to run") else { return nil }
        if argv.first?.stringValue?.isEmpty == true { error("command needs a program name, not an empty string", at: elements[0]) }

        let expect = programExpectation(step, of: "command")
        let (until, interval) = polling(step, hasExpect: expect != nil)
        let register = step["register"].flatMap { registerName($0) }
        return CommandStep(argv: argv, environment: environment, directory: directory, input: input, expect: expect,
                           until: until, interval: interval, register: register)
    }

    /// `expect: {exit, signal, stdout, stderr, json}` of a step that runs a program (`command`, `guest-exec`).
    func programExpectation(_ step: Fields, of action: String) -> CommandExpectation? {
        guard let node = step["expect"],
              let fields = fields(node, of: "expect", allowed: Self.commandExpectKeys, context: "in a \(action)'s expect") else {
            return nil
        }
        if fields.pairs.isEmpty { error("expect needs one of exit, signal, stdout, stderr, json", at: node) }
        return CommandExpectation(
            exit: fields["exit"].map { checkedPattern($0, path: "expect.exit") },
            signal: fields["signal"].map { checkedPattern($0, path: "expect.signal") },
            stdout: fields["stdout"].map { checkedPattern($0, path: "expect.stdout") },
            stderr: fields["stderr"].map { checkedPattern($0, path: "expect.stderr") },
            json: fields["json"].map { checkedPattern($0, path: "expect.json") })
    }
}
