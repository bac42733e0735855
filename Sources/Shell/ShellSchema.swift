import QMP

/// What the shell knows of the QEMU it talks to: the live QAPI schema
/// (`query-qmp-schema`, through the preflight's ``SchemaCache``) and the
/// QOM types that `driver=` and `qom-type=` take (`qom-list-types`).
///
/// It types `key=value` arguments, completes names and values, and says
/// what a command takes (`help COMMAND`).
public struct ShellSchema: Sendable {
    public let schema: QMPSchema
    /// Concrete device models (`device_add driver=`).
    public let deviceTypes: [String]
    /// Concrete user-creatable objects (`object-add qom-type=`).
    public let objectTypes: [String]

    public init(schema: QMPSchema, deviceTypes: [String] = [], objectTypes: [String] = []) {
        self.schema = schema
        self.deviceTypes = deviceTypes.sorted()
        self.objectTypes = objectTypes.sorted()
    }

    /// One argument of a command.
    struct Argument: Equatable {
        var name: String
        var type: String
        var isOptional: Bool
    }

    /// The arguments of `command` in schema order (a union's variant members
    /// after its own), or nil when QEMU has no such command.
    func arguments(of command: String) -> [Argument]? {
        guard let definition = schema.command(named: command) else { return nil }
        var arguments: [Argument] = []
        var seen: Set<String> = []
        func add(_ members: [SchemaInfo.ObjectType.Member], optional: Bool) {
            for member in members where seen.insert(member.name).inserted {
                arguments.append(Argument(name: member.name, type: member.type, isOptional: member.isOptional || optional))
            }
        }
        guard case .object(let object)? = schema.type(named: definition.argumentType)?.metaType else { return arguments }
        add(object.members, optional: false)
        for variant in object.variants {
            if case .object(let members)? = schema.type(named: variant.type)?.metaType {
                add(members.members, optional: true)
            }
        }
        return arguments
    }

    /// Whether `command` takes arguments beyond those its schema lists (`device_add`).
    static func takesOpenArguments(_ command: String) -> Bool {
        QMPSchema.commandsWithOpenArguments.contains(command)
    }

    /// The values `argument` of `command` may take, for completion: QOM
    /// types for `driver`/`qom-type`, an enum's values, `true`/`false`.
    func values(of argument: String, in command: String) -> [String] {
        if command == "device_add", argument == "driver" { return deviceTypes }
        if command == "object-add", argument == "qom-type" { return objectTypes }
        guard let type = arguments(of: command)?.first(where: { $0.name == argument })?.type else { return [] }
        return values(ofType: type)
    }

    private func values(ofType name: String) -> [String] {
        switch schema.type(named: name)?.metaType {
        case .enum(let values): return values.values
        case .builtin(let builtin) where builtin.jsonType == .boolean: return ["false", "true"]
        case .alternate(let alternate): return alternate.members.flatMap(values(ofType:))
        default: return []
        }
    }

    /// A type as `help` shows it: `str`, `int`, `bool`, `enum: a, b, c`, `array of str`, `object`, `str or int`.
    func describe(type name: String) -> String {
        guard let entry = schema.type(named: name) else { return name }
        switch entry.metaType {
        case .builtin: return entry.name
        case .enum(let values):
            let shown = values.values.prefix(12).joined(separator: ", ")
            return "enum: " + shown + (values.values.count > 12 ? ", … (\(values.values.count) values)" : "")
        case .array(let array): return "array of " + describe(type: array.elementType)
        case .object: return "object"
        case .alternate(let alternate): return alternate.members.map { describe(type: $0) }.joined(separator: " or ")
        default: return entry.metaType.name
        }
    }

    /// The JSON value for `text` given as `argument=text` to `command`, typed by the schema:
    /// numbers for `int`/`number`, `true`/`false` for `bool`, JSON for
    /// objects and arrays (`{…}`, `[…]`), text otherwise.
    /// - Throws: a message when the text is not a value of the argument's type,
    ///   or the command has no such argument.
    func value(_ text: String, for argument: String, in command: String) throws(ShellInputError) -> JSONValue {
        guard let arguments = arguments(of: command) else { return Self.untyped(text) }
        guard let definition = arguments.first(where: { $0.name == argument }) else {
            if Self.takesOpenArguments(command) {
                // A device property: QEMU reads device_add's properties from text.
                return (text.hasPrefix("{") || text.hasPrefix("[")) ? try Self.json(text, for: argument) : .string(text)
            }
            let suggestion = NameSuggestion.closest(to: argument, among: arguments.map(\.name))
            let known = arguments.isEmpty ? "it takes no arguments" : "it takes " + arguments.map(\.name).joined(separator: ", ")
            throw ShellInputError(
                "\(command) has no argument '\(argument)'" + NameSuggestion.wording(suggestion) + "; " + known)
        }
        return try value(text, ofType: definition.type, for: argument)
    }

    private func value(_ text: String, ofType name: String, for argument: String) throws(ShellInputError) -> JSONValue {
        switch schema.type(named: name)?.metaType {
        case .builtin(let builtin):
            switch builtin.jsonType {
            case .int:
                if let number = Int64(text) { return .int(number) }
                if let number = UInt64(text) { return .uint(number) }
                throw ShellInputError("\(argument)=\(text): \(argument) is an integer (\(name))")
            case .number:
                if let number = Int64(text) { return .int(number) }
                if let number = Double(text), number.isFinite { return .double(number) }
                throw ShellInputError("\(argument)=\(text): \(argument) is a number")
            case .boolean:
                if let value = Self.boolean(text) { return .bool(value) }
                throw ShellInputError("\(argument)=\(text): \(argument) is a boolean (true or false)")
            case .null:
                guard text == "null" else { throw ShellInputError("\(argument)=\(text): \(argument) is null") }
                return .null
            case .string:
                return .string(text)
            case .object, .array, .value:
                return Self.untyped(text)
            }
        case .enum(let values):
            guard values.values.contains(text) else {
                let suggestion = NameSuggestion.closest(to: text, among: values.values)
                throw ShellInputError(
                    "\(argument)=\(text): not a value of \(argument)" + NameSuggestion.wording(suggestion) + " (Tab lists them)")
            }
            return .string(text)
        case .object, .array:
            guard text.hasPrefix("{") || text.hasPrefix("[") else {
                let what = if case .array = schema.type(named: name)?.metaType { "an array: write it as JSON, [ … ]" } else { "an object: write it as JSON, { … }" }
                throw ShellInputError("\(argument)=\(text): \(argument) is \(what)")
            }
            return try Self.json(text, for: argument)
        case .alternate(let alternate):
            if text.hasPrefix("{") || text.hasPrefix("[") { return try Self.json(text, for: argument) }
            for member in alternate.members {
                if let typed = try? value(text, ofType: member, for: argument), typed.stringValue == nil { return typed }
            }
            return .string(text)
        default:
            return Self.untyped(text)
        }
    }

    /// A value with no schema to go by: JSON when it reads as JSON, else text.
    static func untyped(_ text: String) -> JSONValue {
        (try? JSONValue(parsing: text)) ?? .string(text)
    }

    private static func json(_ text: String, for argument: String) throws(ShellInputError) -> JSONValue {
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw ShellInputError("\(argument)=\(text): not valid JSON: \(error)")
        }
    }

    private static func boolean(_ text: String) -> Bool? {
        switch text {
        case "true", "on", "yes": return true
        case "false", "off", "no": return false
        default: return nil
        }
    }
}

/// Why a line the shell was given cannot run, in one line.
public struct ShellInputError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
