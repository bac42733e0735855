import Foundation
import Playbook
import QMP

/// The check before the first step (SPEC.md §4): every `execute` step and
/// every `wait-event` name is checked against its target's own QAPI schema
/// (`query-qmp-schema`, cached per QEMU build by ``SchemaCache``).
///
/// Arguments are checked after resolving `${…}` with what is known before
/// the run (vars, `--var`, env, the run and playbook folders); when that
/// fails (a registered value is used) the step's arguments are checked as
/// written, each string holding `${` counting as known only at run time.
/// Only `query-qmp-schema` is sent, so a failing preflight changes no VM.
enum Preflight {
    /// Every problem, as `FILE:LINE:COLUMN: target NAME: PATH: MESSAGE`; empty when all steps pass.
    /// - Throws: ``RunnerError`` (infrastructure) when a schema cannot be fetched.
    static func check(
        _ playbook: Playbook, targets: [String: TargetSession], variables: Variables, cache: SchemaCache?
    ) async throws(RunnerError) -> [String] {
        var schemas: [String: QMPSchema] = [:]
        for (name, session) in targets.sorted(by: { $0.key < $1.key }) {
            let version = session.greeting.version
            let monitor = session.monitor
            let fetch: () async throws -> JSONValue = {
                try await monitor.execute("query-qmp-schema", timeout: .seconds(30))
            }
            do {
                if let cache {
                    let key = SchemaCache.Key(
                        major: version.major, minor: version.minor, micro: version.micro, package: version.package)
                    schemas[name] = try await cache.schema(for: key, fetch: fetch).schema
                } else {
                    schemas[name] = try QMPSchema(parsing: try await fetch())
                }
            } catch {
                throw RunnerError(.infrastructure, "target \(name): cannot read its QMP schema for the preflight: \(error)")
            }
        }
        var problems: [String] = []
        for step in playbook.allSteps {
            guard let target = step.target, let schema = schemas[target] else { continue }
            switch step.action {
            case .execute(let execute):
                var arguments: JSONValue? = execute.arguments.map { .object($0) }
                var deferred: (JSONValue) -> Bool = { _ in false }
                if let written = arguments {
                    if let resolved = try? Template.resolve(written, with: variables) {
                        arguments = resolved
                    } else {
                        deferred = { $0.stringValue?.contains("${") == true }
                    }
                }
                for problem in schema.validate(command: execute.command, argumentsValue: arguments, isDeferred: deferred) {
                    problems.append(describe(problem, in: step, target: target))
                }
            case .waitEvent(let wait):
                for (index, name) in wait.events.enumerated() {
                    let path: SchemaPath = wait.events.count == 1 ? .waitEvent : ["wait-event", .index(index)]
                    for problem in schema.validate(event: name, at: path) {
                        problems.append(describe(problem, in: step, target: target))
                    }
                }
            default:
                continue
            }
        }
        return problems
    }

    /// The problem with the source position of the deepest part of its path that the step has.
    private static func describe(_ problem: SchemaProblem, in step: Step, target: String) -> String {
        let key = problem.path.components.map { component -> String in
            switch component {
            case .member(let name): return name
            case .index(let index): return String(index)
            }
        }.joined(separator: ".")
        return "\(step.location(of: key)): target \(target): \(problem)"
    }
}
