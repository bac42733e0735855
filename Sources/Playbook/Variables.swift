public import QMP
import FoundationEssentials

/// The names `${…}` can refer to during a run.
///
/// ```swift
/// var variables = Variables(vars: ["dev": "tablet0"], overrides: ["dev": "mouse0"],
///                           playbookDirectory: "/srv/books", runDirectory: "/tmp/run.1")
/// variables.register("status", value: ["return": ["running": true]])
/// try variables.value(at: ["status", "return", "running"])   // true
/// ```
///
/// Lookup order: the built-ins (`env.NAME`, `playbook.dir`, `run.dir`,
/// `run.id`, `run.started`), then
/// registered values, then `--var` overrides, then `vars`. Values from `vars`
/// and `--var` may themselves hold `${…}` (resolved on use, cycles refused);
/// registered values are QMP data and are never re-resolved.
public struct Variables: Sendable {
    /// The playbook's `vars` with the `--var` overrides applied.
    public private(set) var definitions: JSONObject
    /// Values registered by steps so far.
    public private(set) var registers: JSONObject
    public var environment: [String: String]
    public var playbookDirectory: String?
    public var runDirectory: String?
    /// `${run.id}`: unique per run.
    public var runID: String
    /// `${run.started}`: when the run began.
    public var runStarted: Date

    /// The namespaces qmpbook provides itself.
    public static let builtinNames: Set<String> = ["env", "playbook", "run"]
    /// `${member.name}`: the variable a fleet gives each member's run (SPEC.md §11), an object `{"name": …}`.
    public static let memberName = "member"

    public init(vars: JSONObject = [:], overrides: [String: JSONValue] = [:],
                environment: [String: String] = ProcessInfo.processInfo.environment,
                playbookDirectory: String? = nil, runDirectory: String? = nil,
                runID: String = Variables.newRunID(), runStarted: Date = Date()) {
        definitions = vars
        for key in overrides.keys.sorted() { definitions[key] = overrides[key] }
        registers = [:]
        self.environment = environment
        self.playbookDirectory = playbookDirectory
        self.runDirectory = runDirectory
        self.runID = runID
        self.runStarted = runStarted
    }

    /// Keeps `value` under `name` for the steps that follow (a step's `register`).
    public mutating func register(_ name: String, value: JSONValue) {
        registers[name] = value
    }

    /// Whether `name` (the first part of a `${…}` path) is defined now.
    public func isDefined(_ name: String) -> Bool {
        Variables.builtinNames.contains(name) || registers[name] != nil || definitions[name] != nil
    }

    /// The value at `path` (`["dev"]`, `["status", "return", "0"]`).
    ///
    /// Throws ``TemplateError`` for an undefined name or a path that leads nowhere.
    public func value(at path: [String]) throws(TemplateError) -> JSONValue {
        guard let name = path.first else { throw TemplateError("empty variable reference") }
        var expression = Expression.name(name, offset: 0)
        for key in path.dropFirst() { expression = .member(expression, key) }
        do {
            return try Evaluator(variables: self, depth: 0).evaluate(expression)
        } catch {
            throw TemplateError(Template.sentence(for: error, in: expression.source))
        }
    }

    /// The value of a built-in: `path` is `[namespace, key]` (`["run", "dir"]`).
    ///
    /// Throws ``TemplateError`` for a built-in that does not exist or is not known yet.
    func builtin(_ path: [String]) throws(TemplateError) -> JSONValue {
        if let problem = Variables.builtinProblem(path, environment: environment) { throw TemplateError(problem) }
        switch (path[0], path[1]) {
        case ("env", let key):
            return .string(environment[key] ?? "")
        case ("playbook", _):
            guard let playbookDirectory else { throw TemplateError("'${playbook.dir}' is not known here") }
            return .string(playbookDirectory)
        case ("run", "dir"):
            guard let runDirectory else { throw TemplateError("'${run.dir}' is only known during a run") }
            return .string(runDirectory)
        case ("run", "id"):
            return .string(runID)
        default:
            return .string(Variables.timestamp(runStarted))
        }
    }

    /// The keys each built-in namespace has; `env` takes any name.
    static let builtinKeys: [String: [String]] = ["playbook": ["dir"], "run": ["dir", "id", "started"]]

    /// What is wrong with a reference to a built-in (`path` starts with one
    /// of ``builtinNames``), or nil when it names one. The one place the
    /// rules of built-in names live: the run and `qmpbook check` both ask it.
    /// `environment` nil skips the check that an environment variable is set.
    static func builtinProblem(_ path: [String], environment: [String: String]?) -> String? {
        let reference = path.joined(separator: ".")
        guard path[0] != "env" else {
            guard path.count == 2 else { return "'${\(reference)}': write ${env.NAME} for an environment variable" }
            if let environment, environment[path[1]] == nil { return "environment variable '\(path[1])' is not set (in '${\(reference)}')" }
            return nil
        }
        let keys = builtinKeys[path[0]] ?? []
        guard path.count == 2, keys.contains(path[1]) else {
            let names = keys.map { "${\(path[0]).\($0)}" }
            let list = names.count == 1 ? "the built-in is \(names[0])" : "the built-ins are " + names.joined(separator: ", ")
            return "'${\(reference)}' is not defined: \(list)"
        }
        return nil
    }

    /// The value of a variable `name` (not a built-in), with `${…}` in `vars` resolved.
    func variable(_ name: String, depth: Int) throws(TemplateError) -> JSONValue {
        if let registered = registers[name] { return registered }
        guard let defined = definitions[name] else {
            throw TemplateError("undefined variable '\(name)'\(suggestion(for: name))")
        }
        guard depth < 32 else { throw TemplateError("variable '\(name)' refers to itself through ${…}") }
        return try Template.resolve(defined, with: self, depth: depth + 1)
    }

    /// A new run id: 16 hexadecimal digits, random.
    public static func newRunID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// `2026-12-01T10:00:00Z`: UTC, whole seconds.
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    private func suggestion(for name: String) -> String {
        let candidates = Array(definitions.keys) + Array(registers.keys)
        return NameSuggestion.hint(for: name, among: candidates)
    }
}

extension Variables {
    /// Parses a `--var NAME=VALUE` argument; VALUE is one YAML scalar:
    /// `n=5` gives the number 5, `n="5"` the string "5", `dev=tablet0` a
    /// string, and so are `msg=step 2: done` and `x=#42` (the whole text:
    /// a plain VALUE is never a map, a list or a comment).
    ///
    /// Throws a ``Diagnostic`` (without a location) naming the argument when
    /// it has no `=`, the name is not usable in `${…}` or is a built-in, a
    /// quoted VALUE is not one valid quoted scalar, or VALUE is a number JSON
    /// cannot carry (`1e400`, `.inf`, `.nan`).
    public static func parseOverride(_ argument: String) throws(Diagnostic) -> (name: String, value: JSONValue) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw Diagnostic("--var '\(argument)': write NAME=VALUE", at: nil)
        }
        let name = String(argument[..<equals])
        guard !name.isEmpty, name.utf8.allSatisfy(Template.isNameByte) else {
            throw Diagnostic("--var '\(argument)': '\(name)' is not a variable name (letters, digits, '_' and '-')", at: nil)
        }
        guard !builtinNames.contains(name) else {
            throw Diagnostic("--var '\(argument)': '\(name)' is a built-in name", at: nil)
        }
        let text = String(argument[argument.index(after: equals)...])
        var value = YAMLScalar.value(of: text)
        if let quote = text.first, quote == "\"" || quote == "'" {
            do {
                value = try YAMLScalar.parseValue(text, source: "--var \(name)")
            } catch {
                throw Diagnostic("--var \(name): \(error.message)", at: nil)
            }
            guard case .string = value else {
                throw Diagnostic("--var \(name): \(text) is not one quoted text; quote the whole value, or leave it unquoted", at: nil)
            }
        }
        if let problem = YAMLScalar.nonFiniteProblem(value, text: text) {
            throw Diagnostic("--var \(name): \(problem)", at: nil)
        }
        return (name, value)
    }

    /// Parses several `--var` arguments; a later one wins over an earlier one.
    public static func parseOverrides(_ arguments: [String]) throws(Diagnostic) -> [String: JSONValue] {
        var overrides: [String: JSONValue] = [:]
        for argument in arguments {
            let (name, value) = try parseOverride(argument)
            overrides[name] = value
        }
        return overrides
    }
}
