extension QMPSchema {
    /// Commands whose arguments QEMU accepts beyond those the schema lists.
    ///
    /// `device_add` is declared with `driver`, `bus` and `id` only, but takes
    /// any property of the device (`'gen': false` in QEMU's schema), which
    /// introspection cannot show. QEMU reads all of them, the declared ones
    /// included, as device properties and converts scalars to text (`id: 5`
    /// is accepted), so for these commands only the presence of required
    /// arguments is checked.
    public static let commandsWithOpenArguments: Set<String> = ["device_add"]

    /// Every problem with running `command` with `arguments`, or none.
    ///
    /// ```swift
    /// schema.validate(command: "getfd", arguments: ["fdname": "${name}"],
    ///                 isDeferred: { $0.stringValue?.contains("${") == true })   // []
    /// ```
    ///
    /// Checks that the command exists, that every required argument is
    /// present, that no argument is unknown, and that each value has the
    /// right JSON type and enum value, through nested objects, arrays,
    /// alternates and flat unions. A value for which `isDeferred` is true is
    /// only known at run time: its presence counts, its content is not
    /// checked (a deferred union tag leaves the union's variant open).
    /// Problems come in the order of the arguments, then missing members.
    public func validate(
        command: String,
        arguments: JSONObject?,
        isDeferred: (JSONValue) -> Bool = { _ in false }
    ) -> [SchemaProblem] {
        validate(command: command, argumentsValue: arguments.map { .object($0) }, isDeferred: isDeferred)
    }

    /// Like ``validate(command:arguments:isDeferred:)``, for arguments that may not be an object.
    ///
    /// Arguments that are not an object (and not deferred) are a `wrongType` problem at `arguments`.
    public func validate(
        command: String,
        argumentsValue arguments: JSONValue?,
        isDeferred: (JSONValue) -> Bool = { _ in false }
    ) -> [SchemaProblem] {
        guard let definition = self.command(named: command) else {
            let suggestion = NameSuggestion.closest(to: command, among: commandNames)
            return [SchemaProblem(
                kind: .unknownCommand, path: .execute,
                message: "unknown command '\(command)'" + Self.didYouMean(suggestion),
                suggestion: suggestion)]
        }
        return withoutActuallyEscaping(isDeferred) { isDeferred in
            var validator = SchemaValidator(schema: self, isDeferred: isDeferred,
                                            openArguments: Self.commandsWithOpenArguments.contains(command))
            validator.check(arguments ?? .object(JSONObject()), against: definition.argumentType, at: .arguments, depth: 0)
            return validator.problems
        }
    }

    /// The problem with waiting for the event `name`, or none when QEMU defines it.
    ///
    /// `path` is where the name stands, `wait-event` by default (pass
    /// `["wait-event", 1]` for the second name of a list).
    public func validate(event name: String, at path: SchemaPath = .waitEvent) -> [SchemaProblem] {
        guard event(named: name) == nil else { return [] }
        let suggestion = NameSuggestion.closest(to: name, among: eventNames)
        return [SchemaProblem(
            kind: .unknownEvent, path: path,
            message: "unknown event '\(name)'" + Self.didYouMean(suggestion),
            suggestion: suggestion)]
    }

    static func didYouMean(_ suggestion: String?) -> String {
        NameSuggestion.wording(suggestion)
    }
}

/// Walks one value against one type, collecting problems.
struct SchemaValidator {
    let schema: QMPSchema
    let isDeferred: (JSONValue) -> Bool
    /// True when the top-level arguments may hold members the schema does not list.
    let openArguments: Bool
    var problems: [SchemaProblem] = []

    /// Deeper than this, a (malformed, cyclic) schema is not followed further.
    static let maximumDepth = 256
    /// How many enum values a message lists.
    static let listedValues = 8

    init(schema: QMPSchema, isDeferred: @escaping (JSONValue) -> Bool, openArguments: Bool) {
        self.schema = schema
        self.isDeferred = isDeferred
        self.openArguments = openArguments
    }

    mutating func check(_ value: JSONValue, against typeName: String, at path: SchemaPath, depth: Int) {
        guard depth < Self.maximumDepth, !isDeferred(value), let type = schema.type(named: typeName) else { return }
        switch type.metaType {
        case .builtin(let builtin):
            if !Self.accepts(builtin.jsonType, value) {
                report(.wrongType, at: path, "expected \(Self.describe(builtin.jsonType)), got \(Self.describe(value))")
            }
        case .enum(let enumeration):
            guard case .string(let string) = value else {
                report(.wrongType, at: path, "expected string, got \(Self.describe(value))")
                return
            }
            guard !enumeration.members.contains(where: { $0.name == string }) else { return }
            let values = enumeration.values
            let suggestion = NameSuggestion.closest(to: string, among: values)
            var message = "invalid value '\(string)'" + QMPSchema.didYouMean(suggestion)
            message += "; valid values: " + values.prefix(Self.listedValues).joined(separator: ", ")
            if values.count > Self.listedValues { message += ", … (\(values.count - Self.listedValues) more)" }
            report(.invalidEnumValue, at: path, message, suggestion: suggestion)
        case .array(let array):
            guard case .array(let elements) = value else {
                report(.wrongType, at: path, "expected array, got \(Self.describe(value))")
                return
            }
            for (index, element) in elements.enumerated() {
                check(element, against: array.elementType, at: path.appending(index: index), depth: depth + 1)
            }
        case .object(let object):
            guard case .object(let members) = value else {
                report(.wrongType, at: path, "expected object, got \(Self.describe(value))")
                return
            }
            checkObject(members, against: object, at: path, depth: depth)
        case .alternate(let alternate):
            checkAlternate(value, against: alternate, at: path, depth: depth)
        case .command, .event, .unknown:
            return
        }
    }

    /// A member the object may have, and the union variant it comes from.
    private struct AllowedMember {
        var member: SchemaInfo.ObjectType.Member
        /// `TAG 'CASE'` for a variant member, for messages.
        var variant: String?
    }

    private mutating func checkObject(_ value: JSONObject, against type: SchemaInfo.ObjectType, at path: SchemaPath, depth: Int) {
        var allowed: [AllowedMember] = []
        var looseNames: Set<String> = []
        collectMembers(of: type, for: value, variant: nil, into: &allowed, looseNames: &looseNames, depth: depth)
        let isArguments = path == .arguments
        let noun = isArguments ? "argument" : "member"
        let isOpen = isArguments && openArguments

        for (key, member) in value.members {
            if let known = allowed.first(where: { $0.member.name == key }) {
                // QEMU turns an open command's arguments into device properties, scalars as text.
                if !isOpen { check(member, against: known.member.type, at: path.appending(member: key), depth: depth + 1) }
            } else if !isOpen, !looseNames.contains(key) {
                let names = allowed.map(\.member.name)
                let suggestion = NameSuggestion.closest(to: key, among: names.filter { value[$0] == nil } + names)
                var message = "unknown \(noun) '\(key)'" + QMPSchema.didYouMean(suggestion)
                if suggestion == nil, looseNames.isEmpty {
                    if names.isEmpty {
                        message += isArguments ? "; the command takes no arguments" : "; the object takes no members"
                    } else if names.count <= 12 {
                        message += "; expected one of: " + names.joined(separator: ", ")
                    }
                }
                report(.unknownMember, at: path.appending(member: key), message, suggestion: suggestion)
            }
        }
        for candidate in allowed where !candidate.member.isOptional && value[candidate.member.name] == nil {
            var message = "missing required \(noun) '\(candidate.member.name)'"
            if let variant = candidate.variant { message += " (required when \(variant))" }
            report(.missingMember, at: path.appending(member: candidate.member.name), message)
        }
    }

    /// The members of `type`, with those of the union variant `value`'s tag selects.
    ///
    /// When the tag is missing, deferred or invalid, no variant is chosen: the
    /// members of every variant go to `looseNames`, accepted unchecked.
    private func collectMembers(
        of type: SchemaInfo.ObjectType, for value: JSONObject, variant: String?,
        into allowed: inout [AllowedMember], looseNames: inout Set<String>, depth: Int
    ) {
        guard depth < Self.maximumDepth else { return }
        for member in type.members { allowed.append(AllowedMember(member: member, variant: variant)) }
        guard let tag = type.tag, !type.variants.isEmpty else { return }
        if let tagValue = value[tag], !isDeferred(tagValue), case .string(let selected) = tagValue {
            guard let chosen = type.variants.first(where: { $0.case == selected }) else {
                // Either an invalid tag (reported by the enum check) or a case with no extra members.
                if !tagIsValid(selected, of: type, tag: tag) { addLooseNames(of: type, into: &looseNames, depth: depth) }
                return
            }
            guard case .object(let variantType)? = schema.type(named: chosen.type)?.metaType else { return }
            collectMembers(of: variantType, for: value, variant: "\(tag) is '\(selected)'",
                           into: &allowed, looseNames: &looseNames, depth: depth + 1)
        } else {
            addLooseNames(of: type, into: &looseNames, depth: depth)
        }
    }

    private func tagIsValid(_ value: String, of type: SchemaInfo.ObjectType, tag: String) -> Bool {
        guard let member = type.members.first(where: { $0.name == tag }),
              case .enum(let enumeration)? = schema.type(named: member.type)?.metaType
        else { return false }
        return enumeration.members.contains { $0.name == value }
    }

    private func addLooseNames(of type: SchemaInfo.ObjectType, into names: inout Set<String>, depth: Int) {
        guard depth < Self.maximumDepth else { return }
        for variant in type.variants {
            guard case .object(let variantType)? = schema.type(named: variant.type)?.metaType else { continue }
            for member in variantType.members { names.insert(member.name) }
            addLooseNames(of: variantType, into: &names, depth: depth + 1)
        }
    }

    private mutating func checkAlternate(_ value: JSONValue, against type: SchemaInfo.AlternateType, at path: SchemaPath, depth: Int) {
        let candidates = type.members.filter { fits(value, $0, depth: depth + 1) }
        guard !candidates.isEmpty else {
            let expected = type.members.compactMap { jsonTypeName(of: $0, depth: depth + 1) }
            var unique: [String] = []
            for name in expected where !unique.contains(name) { unique.append(name) }
            report(.wrongType, at: path, "expected \(unique.joined(separator: " or ")), got \(Self.describe(value))")
            return
        }
        var firstProblems: [SchemaProblem]?
        for candidate in candidates {
            var trial = SchemaValidator(schema: schema, isDeferred: isDeferred, openArguments: false)
            trial.check(value, against: candidate, at: path, depth: depth + 1)
            if trial.problems.isEmpty { return }
            if firstProblems == nil { firstProblems = trial.problems }
        }
        problems += firstProblems ?? []
    }

    /// True when `value`'s JSON type is one `typeName` takes, as QEMU picks an alternate's branch.
    private func fits(_ value: JSONValue, _ typeName: String, depth: Int) -> Bool {
        guard depth < Self.maximumDepth, let type = schema.type(named: typeName) else { return true }
        switch type.metaType {
        case .builtin(let builtin): return Self.accepts(builtin.jsonType, value)
        case .enum: return value.stringValue != nil
        case .array: return value.arrayValue != nil
        case .object: return value.objectValue != nil
        case .alternate(let alternate): return alternate.members.contains { fits(value, $0, depth: depth + 1) }
        case .command, .event, .unknown: return true
        }
    }

    private func jsonTypeName(of typeName: String, depth: Int) -> String? {
        guard depth < Self.maximumDepth, let type = schema.type(named: typeName) else { return nil }
        switch type.metaType {
        case .builtin(let builtin): return Self.describe(builtin.jsonType)
        case .enum: return "string"
        case .array: return "array"
        case .object: return "object"
        case .alternate(let alternate):
            return alternate.members.compactMap { jsonTypeName(of: $0, depth: depth + 1) }.joined(separator: " or ")
        case .command, .event, .unknown: return nil
        }
    }

    private mutating func report(_ kind: SchemaProblem.Kind, at path: SchemaPath, _ message: String, suggestion: String? = nil) {
        problems.append(SchemaProblem(kind: kind, path: path, message: message, suggestion: suggestion))
    }

    /// True when QEMU's input visitor takes `value` for the JSON type.
    ///
    /// An `int` takes integers, and doubles with an integral value below
    /// 10^15, which ``JSONValue/jsonBytes`` writes as integers.
    static func accepts(_ jsonType: SchemaInfo.JSONType, _ value: JSONValue) -> Bool {
        switch (jsonType, value) {
        case (.value, _): return true
        case (.string, .string), (.boolean, .bool), (.null, .null), (.object, .object), (.array, .array): return true
        case (.number, .int), (.number, .uint), (.number, .double): return true
        case (.int, .int), (.int, .uint): return true
        case (.int, .double(let number)): return number.isFinite && number == number.rounded() && abs(number) < 1e15
        default: return false
        }
    }

    static func describe(_ jsonType: SchemaInfo.JSONType) -> String {
        switch jsonType {
        case .int: return "integer"
        case .value: return "any value"
        default: return jsonType.rawValue
        }
    }

    /// The value's JSON type and, for scalars, the value itself, shortened.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .array, .object: return value.typeName
        case .null: return "null"
        case .double(let number) where !(number.isFinite && number == number.rounded() && abs(number) < 1e15):
            return "number \(value.jsonText)"
        default:
            var text = value.jsonText
            if text.count > 40 { text = String(text.prefix(37)) + "…" }
            return "\(value.typeName) \(text)"
        }
    }
}
