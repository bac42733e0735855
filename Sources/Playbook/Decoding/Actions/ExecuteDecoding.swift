import QMP

extension ActionDecoding {
    /// `execute: COMMAND` with `arguments`, `fd`, `expect`, `until`, `interval`, `register`.
    static let execute = ActionDecoding(kind: .execute, keys: ["arguments", "fd", "expect", "until", "interval", "register"]) {
        decoder, step in decoder.decodeExecute(step).map(StepAction.execute)
    }
}

extension PlaybookDecoder {
    static let fdKeys = ["path", "mode", "create", "perm"]
    static let expectKeys = ["return", "error"]

    func decodeExecute(_ step: Fields) -> ExecuteStep? {
        guard let commandNode = step["execute"], let command = string(commandNode, what: "execute") else { return nil }
        if command.isEmpty { error("execute needs a QMP command name", at: commandNode) }
        // `execute: "${cmd}"` is resolved just before the step (SPEC.md §8.1).
        checkTemplates(commandNode)
        var arguments: JSONObject?
        if let node = step.unlessNull("arguments"), late(node, key: "arguments") != nil {
            // `arguments: "${disk}"`: a whole map, given by the run.
        } else if let node = step.unlessNull("arguments"), mapping(node, what: "arguments") != nil {
            checkTemplates(node)
            arguments = node.jsonValue.objectValue
        }
        let fd = step["fd"].flatMap(decodeFileDescriptor)
        let expect = replyExpectation(step)
        let (until, interval) = polling(step, hasExpect: expect != nil)
        let register = step["register"].flatMap { registerName($0) }
        return ExecuteStep(command: command, arguments: arguments, fd: fd, expect: expect, until: until,
                           interval: interval, register: register)
    }

    /// `expect: {return: PATTERN}` or `{error: PATTERN}` of a step that sends a command (`execute`, `agent`).
    func replyExpectation(_ step: Fields) -> Expectation? {
        guard let node = step["expect"], let fields = fields(node, of: "expect", allowed: Self.expectKeys, context: "in expect") else {
            return nil
        }
        if let value = fields["return"], fields["error"] == nil { return .return(checkedPattern(value, path: "expect.return")) }
        if let value = fields["error"], fields["return"] == nil { return .error(checkedPattern(value, path: "expect.error")) }
        if fields["return"] != nil {
            error("expect takes either return or error, not both", at: fields.keyNode("error") ?? node)
        } else {
            error("expect needs return: PATTERN or error: PATTERN", at: node)
        }
        return nil
    }

    func decodeFileDescriptor(_ node: YAMLNode) -> FileDescriptorSpec? {
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
                let hint = NameSuggestion.hint(for: text, among: names)
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
    func octal(_ node: YAMLNode) -> UInt32? {
        guard var text = node.scalarText else { return nil }
        if text.hasPrefix("0o") { text.removeFirst(2) }
        guard !text.isEmpty, let value = UInt32(text, radix: 8), value <= 0o777 else { return nil }
        return value
    }
}
