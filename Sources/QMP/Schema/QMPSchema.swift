/// The QAPI schema of one QEMU, indexed for lookups and validation.
///
/// ```swift
/// let schema = try QMPSchema(parsing: try await monitor.execute("query-qmp-schema"))
/// for problem in schema.validate(command: "getfd", arguments: ["fdnam": "disk"]) {
///     print(problem)   // arguments.fdnam: unknown argument 'fdnam' (did you mean 'fdname'?)
/// }
/// ```
///
/// Build it once per connection from the `return` of `query-qmp-schema`
/// (or from a cached copy, such as qmpbook's schema cache); it is immutable and
/// `Sendable`. Building reads every entry and indexes them by name, linear
/// in the size of the schema; lookups are hash-table lookups.
public struct QMPSchema: Sendable {
    /// Every entry, in the order QEMU listed them.
    public let entries: [SchemaInfo]
    private let commandIndex: [String: Int]
    private let eventIndex: [String: Int]
    private let typeIndex: [String: Int]

    /// Builds the schema from the array `query-qmp-schema` returns.
    ///
    /// Throws ``SchemaError`` when the value is not an array of well-formed
    /// entries. References between entries are not required to resolve;
    /// ``unresolvedReferences()`` lists those that do not.
    public init(parsing value: JSONValue) throws(SchemaError) {
        guard case .array(let elements) = value else {
            throw SchemaError("the schema is \(value.typeName), not an array")
        }
        var entries: [SchemaInfo] = []
        entries.reserveCapacity(elements.count)
        for element in elements {
            entries.append(try SchemaInfo(introspected: element))
        }
        self.init(entries: entries)
    }

    /// Builds the schema from the JSON text of the array `query-qmp-schema` returns.
    public init<Bytes: Collection>(parsing bytes: Bytes) throws(SchemaError) where Bytes.Element == UInt8 {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            throw SchemaError("the schema is not valid JSON: \(error)")
        }
        try self.init(parsing: value)
    }

    /// Builds the schema from entries; a later entry with a repeated name wins.
    public init(entries: [SchemaInfo]) {
        self.entries = entries
        var commands: [String: Int] = [:]
        var events: [String: Int] = [:]
        var types: [String: Int] = [:]
        types.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            switch entry.metaType {
            case .command: commands[entry.name] = index
            case .event: events[entry.name] = index
            default: types[entry.name] = index
            }
        }
        commandIndex = commands
        eventIndex = events
        typeIndex = types
    }

    /// The command called `name`, or nil when QEMU has none.
    public func command(named name: String) -> SchemaInfo.Command? {
        guard let index = commandIndex[name], case .command(let command) = entries[index].metaType else { return nil }
        return command
    }

    /// The event called `name`, or nil when QEMU defines none.
    public func event(named name: String) -> SchemaInfo.Event? {
        guard let index = eventIndex[name], case .event(let event) = entries[index].metaType else { return nil }
        return event
    }

    /// The type called `name` (builtin, masked number, or array name), or nil.
    public func type(named name: String) -> SchemaInfo? {
        typeIndex[name].map { entries[$0] }
    }

    /// The entry of the command or event called `name`, with its features.
    public func entry(command name: String) -> SchemaInfo? { commandIndex[name].map { entries[$0] } }
    public func entry(event name: String) -> SchemaInfo? { eventIndex[name].map { entries[$0] } }

    /// Every command name, sorted.
    public var commandNames: [String] { commandIndex.keys.sorted() }

    /// Every event name, sorted.
    public var eventNames: [String] { eventIndex.keys.sorted() }

    /// Every type reference that names no type, as `"ENTRY: REFERENCE"`; empty for a sound schema.
    public func unresolvedReferences() -> [String] {
        var missing: [String] = []
        func check(_ reference: String, from entry: SchemaInfo) {
            if typeIndex[reference] == nil { missing.append("\(entry.name): \(reference)") }
        }
        for entry in entries {
            switch entry.metaType {
            case .builtin, .enum, .unknown: break
            case .array(let array): check(array.elementType, from: entry)
            case .object(let object):
                for member in object.members { check(member.type, from: entry) }
                for variant in object.variants { check(variant.type, from: entry) }
                if let tag = object.tag, !object.members.contains(where: { $0.name == tag }) {
                    missing.append("\(entry.name): tag \(tag)")
                }
            case .alternate(let alternate):
                for member in alternate.members { check(member, from: entry) }
            case .command(let command):
                check(command.argumentType, from: entry)
                check(command.returnType, from: entry)
            case .event(let event): check(event.argumentType, from: entry)
            }
        }
        return missing
    }
}
