import FoundationEssentials
import Playbook
import QMP

/// The check before the first step (SPEC.md §4): every `execute` step and
/// every `wait-event` name is checked against its target's own QAPI schema
/// (`query-qmp-schema`, cached per QEMU build by ``SchemaCache``).
///
/// Arguments are checked after resolving `${…}` with what is known before
/// the run (vars, `--var`, env, the run and playbook folders); a string
/// that cannot be resolved yet (it uses a registered value) is checked for
/// presence only. A step that expects an error (`expect: {error: …}`) is
/// not checked: it asks QEMU to refuse it. Only the read-only queries
/// `query-target` (the architecture, part of the cache key) and
/// `query-qmp-schema` (not when the cache has it) are sent, so a failing
/// preflight changes no VM.
enum Preflight {
    /// What the preflight found.
    struct Outcome: Sendable {
        /// Every problem, at the place in the playbook it is about; empty when all steps pass.
        var problems: [PreflightProblem] = []
        /// For each checked target, whether its schema came from the cache (false: fetched).
        var schemaFromCache: [String: Bool] = [:]
        /// How many steps were checked against a schema.
        var checkedSteps = 0
    }

    /// Checks the steps of the targets in `targets` (steps of other targets are left out).
    /// - Throws: ``RunnerError`` (infrastructure) when a schema cannot be fetched.
    static func run(
        _ playbook: Playbook, targets: [String: TargetSession], variables: Variables, cache: SchemaCache?
    ) async throws(RunnerError) -> Outcome {
        var outcome = Outcome()
        var schemas: [String: QMPSchema] = [:]
        // Targets running the same QEMU build (a migration's two ends) share one schema.
        var byKey: [SchemaCache.Key: (schema: QMPSchema, fromCache: Bool)] = [:]
        for (name, session) in targets.sorted(by: { $0.key < $1.key }) {
            let key = await LiveSchema.key(of: session.monitor, version: session.greeting.version)
            do {
                let found: (schema: QMPSchema, fromCache: Bool)
                if let known = byKey[key] {
                    found = known
                } else {
                    found = try await LiveSchema.schema(for: key, from: session.monitor, cache: cache)
                }
                byKey[key] = found
                schemas[name] = found.schema
                outcome.schemaFromCache[name] = found.fromCache
            } catch {
                throw RunnerError(.infrastructure, "target \(name): cannot read its QMP schema for the preflight: \(error)")
            }
        }
        for step in playbook.allSteps {
            guard let target = step.target, let schema = schemas[target] else { continue }
            switch step.action {
            case .execute(let execute):
                if case .error = execute.expect { continue }
                // A command named by `${…}` is known only when its step runs.
                // So are `arguments: "${…}"`: the whole map comes from the run.
                if Template.hasExpressions(execute.command) || step.late["arguments"] != nil { continue }
                outcome.checkedSteps += 1
                let arguments = execute.arguments.map { resolveKnown(.object($0), with: variables) }
                let problems = schema.validate(
                    command: execute.command, argumentsValue: arguments, isDeferred: { $0 == deferred })
                for problem in problems {
                    outcome.problems.append(describe(problem, in: step, target: target))
                }
            case .waitEvent(let wait):
                outcome.checkedSteps += 1
                for (index, name) in wait.events.enumerated() where !Template.hasExpressions(name) {
                    let path: SchemaPath = wait.events.count == 1 ? .waitEvent : ["wait-event", .index(index)]
                    for problem in schema.validate(event: name, at: path) {
                        outcome.problems.append(describe(problem, in: step, target: target))
                    }
                }
            default:
                continue
            }
        }
        return outcome
    }

    /// Stands for a value known only at run time (no template resolves to it: it holds NUL characters).
    private static let deferred: JSONValue = .string("\u{0}qmpbook: known at run time\u{0}")

    /// `value` with every `${…}` string that can be resolved before the run
    /// resolved, and every other one replaced by ``deferred``.
    private static func resolveKnown(_ value: JSONValue, with variables: Variables) -> JSONValue {
        switch value {
        case .string(let text) where text.contains("${"):
            return (try? Template.resolve(string: text, with: variables)) ?? deferred
        case .array(let elements):
            return .array(elements.map { resolveKnown($0, with: variables) })
        case .object(let object):
            return .object(JSONObject(object.members.map { ($0, resolveKnown($1, with: variables)) }))
        default:
            return value
        }
    }

    /// The problem with the source position of the deepest part of its path that the step has.
    private static func describe(_ problem: SchemaProblem, in step: Step, target: String) -> PreflightProblem {
        let key = problem.path.components.map { component -> String in
            switch component {
            case .member(let name): return name
            case .index(let index): return String(index)
            }
        }.joined(separator: ".")
        return PreflightProblem(
            location: step.location(of: key), target: target, path: problem.path, message: problem.message,
            hint: problem.suggestion.map { "did you mean '\($0)'?" })
    }
}
