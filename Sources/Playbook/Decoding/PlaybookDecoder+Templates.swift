import QMP

extension PlaybookDecoder {
    /// The pattern's value, after checking its operators and templates.
    func checkedPattern(_ node: YAMLNode, path: String) -> JSONValue {
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

    /// Reports malformed `${…}` and names not defined at this point, in every string under `node`.
    func checkTemplates(_ node: YAMLNode) {
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

    func checkReference(_ path: [String], at node: YAMLNode) {
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
            let hint = NameSuggestion.hint(for: name, among: defined.subtracting(Variables.builtinNames))
            error("undefined variable '\(name)' in '${\(reference)}'\(hint): define it in vars, with --var, or register it in an earlier step", at: node)
        }
    }

}
