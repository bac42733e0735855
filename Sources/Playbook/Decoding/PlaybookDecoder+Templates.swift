import QMP
import FoundationEssentials

extension PlaybookDecoder {
    /// The pattern's value, after checking its operators and templates.
    func checkedPattern(_ node: YAMLNode, path: String) -> JSONValue {
        checkTemplates(node)
        let value = node.jsonValue
        do {
            try Pattern.check(value) { operand in
                guard case .string(let text) = operand else { return false }
                return Template.hasExpressions(text)
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

    /// Reports every malformed `${…}`, unknown function and name not defined at
    /// this point, in every string under `node`, at the offending character.
    func checkTemplates(_ node: YAMLNode) {
        switch node.content {
        case .scalar(let text, _, _):
            guard text.utf8.contains(UInt8(ascii: "$")) else { return }
            let expressions: [(source: String, expression: Expression, offset: Int)]
            do {
                expressions = try Template.expressions(in: text)
            } catch {
                self.error(error.message, at: node, offset: error.offset ?? 0)
                return
            }
            for found in expressions {
                checkExpression(found.expression, source: found.source, at: node, offset: found.offset)
            }
        case .sequence(let elements):
            for element in elements { checkTemplates(element) }
        case .mapping(let pairs):
            for pair in pairs { checkTemplates(pair.value) }
        }
    }

    /// Makes `name` defined for the steps after this one (`register`, `set`):
    /// from then on its value is what the run gives it.
    func define(_ name: String) {
        defined.insert(name)
        scalarVars[name] = nil
    }

    /// Walks one expression for what can be known before the run: names,
    /// built-ins, functions and their argument counts. `offset` is where the
    /// expression's source starts in the scalar's value.
    func checkExpression(_ expression: Expression, source: String, at node: YAMLNode, offset: Int) {
        // Built only for a message: most expressions have nothing wrong, and this runs for every node of each.
        func reference() -> String { "'${\(source.trimmingWhitespace())}'" }
        switch expression {
        case .literal:
            break
        case .name(let name, let at):
            if Variables.builtinNames.contains(name) {
                error(Variables.builtinProblem([name], environment: environment) ?? "'\(name)' is a built-in", at: node, offset: offset + at)
            } else if !defined.contains(name), name == "item" || name == "loop" {
                error("'\(name)' in \(reference()) is defined only inside a loop (a step or block with loop:)\(name == "item" ? " that has no loop-var" : "")",
                      at: node, offset: offset + at)
            } else if !defined.contains(name) {
                let hint = NameSuggestion.hint(for: name, among: defined.subtracting(Variables.builtinNames))
                error("undefined variable '\(name)' in \(reference())\(hint): define it in vars, with --var, or register it in an earlier step",
                      at: node, offset: offset + at)
            }
        case .member(.name(let name, let at), let key) where Variables.builtinNames.contains(name):
            if let problem = Variables.builtinProblem([name, key], environment: environment) {
                error(problem, at: node, offset: offset + at)
            }
        case .member(.name(let name, let at), let key) where scalarVars[name] != nil:
            let value = scalarVars[name] ?? .null
            error("\(reference()): '\(name)' is \(value.typeName.withArticle) (\(String(value.jsonText.prefix(40)))) in vars, which has no '\(key)': only maps and lists have members",
                  at: node, offset: offset + at)
        case .member(let base, _):
            checkExpression(base, source: source, at: node, offset: offset)
        case .index(let base, let index):
            checkExpression(base, source: source, at: node, offset: offset)
            checkExpression(index, source: source, at: node, offset: offset)
        case .list(let elements):
            for element in elements { checkExpression(element, source: source, at: node, offset: offset) }
        case .map(let members):
            for (_, member) in members { checkExpression(member, source: source, at: node, offset: offset) }
        case .unary(_, let operand):
            checkExpression(operand, source: source, at: node, offset: offset)
        case .binary(_, let left, let right):
            checkExpression(left, source: source, at: node, offset: offset)
            checkExpression(right, source: source, at: node, offset: offset)
        case .call(let name, let arguments, let at):
            if let function = ExpressionFunctions.table[name] {
                if let problem = function.arityProblem(arguments.count) {
                    error("\(problem) (in \(reference()))", at: node, offset: offset + at)
                } else if ExpressionFunctions.takingPatterns.contains(name), arguments[1].isConstant {
                    checkPatternArgument(arguments[1], of: name, reference: reference(), at: node, offset: offset + at)
                }
            } else {
                error("\(ExpressionFunctions.unknownMessage(name)) in \(reference())", at: node, offset: offset + at)
            }
            for argument in arguments { checkExpression(argument, source: source, at: node, offset: offset) }
        }
    }

    /// A pattern written out in `matches`, `select` or `first` is checked like a `match:`.
    private func checkPatternArgument(_ argument: Expression, of name: String, reference: String, at node: YAMLNode, offset: Int) {
        guard let value = try? Evaluator(variables: Variables(environment: [:])).evaluate(argument) else { return }
        do {
            try Pattern.check(value) { _ in false }
        } catch {
            let place = error.path.isEmpty ? "" : " at \(error.path.joined(separator: "."))"
            self.error("\(name)(): the pattern is not valid\(place): \(error.message) (in \(reference))", at: node, offset: offset)
        }
    }

    /// Reports `message` at the character `offset` (in Unicode scalars) of a scalar's value.
    func error(_ message: String, at node: YAMLNode, offset: Int) {
        let (line, column) = positions.position(ofOffset: offset, in: node)
        diagnostics.append(Diagnostic(message, at: SourceLocation(file: file, line: line, column: column)))
    }
}
