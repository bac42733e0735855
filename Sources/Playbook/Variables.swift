public import QMP
import Foundation

/// The names `${…}` can refer to during a run.
///
/// ```swift
/// var variables = Variables(vars: ["dev": "tablet0"], overrides: ["dev": "mouse0"],
///                           playbookDirectory: "/srv/books", runDirectory: "/tmp/run.1")
/// variables.register("status", value: ["return": ["running": true]])
/// try variables.value(at: ["status", "return", "running"])   // true
/// ```
///
/// Lookup order: the built-ins (`env.NAME`, `playbook.dir`, `run.dir`), then
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

    /// The namespaces qmpbook provides itself.
    public static let builtinNames: Set<String> = ["env", "playbook", "run"]

    public init(vars: JSONObject = [:], overrides: [String: JSONValue] = [:],
                environment: [String: String] = ProcessInfo.processInfo.environment,
                playbookDirectory: String? = nil, runDirectory: String? = nil) {
        definitions = vars
        for key in overrides.keys.sorted() { definitions[key] = overrides[key] }
        registers = [:]
        self.environment = environment
        self.playbookDirectory = playbookDirectory
        self.runDirectory = runDirectory
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
        try value(at: path, depth: 0)
    }

    func value(at path: [String], depth: Int) throws(TemplateError) -> JSONValue {
        guard let name = path.first else { throw TemplateError("empty variable reference") }
        let reference = path.joined(separator: ".")
        switch name {
        case "env":
            guard path.count == 2 else { throw TemplateError("'${\(reference)}': write ${env.NAME} for an environment variable") }
            guard let value = environment[path[1]] else { throw TemplateError("environment variable '\(path[1])' is not set (in '${\(reference)}')") }
            return .string(value)
        case "playbook":
            guard path == ["playbook", "dir"] else { throw TemplateError("'${\(reference)}' is not defined: the built-in is ${playbook.dir}") }
            guard let playbookDirectory else { throw TemplateError("'${playbook.dir}' is not known here") }
            return .string(playbookDirectory)
        case "run":
            guard path == ["run", "dir"] else { throw TemplateError("'${\(reference)}' is not defined: the built-in is ${run.dir}") }
            guard let runDirectory else { throw TemplateError("'${run.dir}' is only known during a run") }
            return .string(runDirectory)
        default:
            break
        }
        var current: JSONValue
        if let registered = registers[name] {
            current = registered
        } else if let defined = definitions[name] {
            guard depth < 32 else { throw TemplateError("variable '\(name)' refers to itself through ${…}") }
            current = try Template.resolve(defined, with: self, depth: depth + 1)
        } else {
            throw TemplateError("undefined variable '\(name)'\(suggestion(for: name))")
        }
        for (offset, key) in path.enumerated().dropFirst() {
            let walked = path[..<offset].joined(separator: ".")
            switch current {
            case .object(let object):
                guard let member = object[key] else {
                    throw TemplateError("'${\(reference)}': '\(walked)' has no key '\(key)'")
                }
                current = member
            case .array(let elements):
                guard let index = Int(key), elements.indices.contains(index) else {
                    throw TemplateError("'${\(reference)}': '\(walked)' is a list of \(elements.count), with no element '\(key)'")
                }
                current = elements[index]
            default:
                throw TemplateError("'${\(reference)}': '\(walked)' is \(current.typeName.withArticle), not a map or a list")
            }
        }
        return current
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
