extension SchemaInfo {
    /// Reads one entry of the array `query-qmp-schema` returns.
    ///
    /// Throws ``SchemaError`` when a key the meta-type requires is missing or
    /// has the wrong JSON type; unknown keys are ignored, an unknown meta-type
    /// is kept as ``MetaType/unknown(_:)``.
    public init(introspected value: JSONValue) throws(SchemaError) {
        guard case .object(let entry) = value else {
            throw SchemaError("schema entry is \(value.typeName), not an object")
        }
        let name = try Self.string("name", in: entry, of: nil)
        let metaTypeName = try Self.string("meta-type", in: entry, of: name)
        let metaType: MetaType
        switch metaTypeName {
        case "builtin":
            let jsonTypeName = try Self.string("json-type", in: entry, of: name)
            guard let jsonType = JSONType(rawValue: jsonTypeName) else {
                throw SchemaError("schema entry '\(name)': unknown json-type '\(jsonTypeName)'")
            }
            metaType = .builtin(Builtin(jsonType: jsonType))
        case "enum":
            // QEMU 6.2 added `members` (with features); `values` is the older form.
            if let members = entry["members"] {
                metaType = .enum(EnumType(members: try Self.objects(members, key: "members", of: name).map { member throws(SchemaError) in
                    EnumType.Member(name: try Self.string("name", in: member, of: name),
                                    features: try Self.features(in: member, of: name))
                }))
            } else {
                metaType = .enum(EnumType(members: try Self.strings("values", in: entry, of: name).map { EnumType.Member(name: $0) }))
            }
        case "array":
            metaType = .array(ArrayType(elementType: try Self.string("element-type", in: entry, of: name)))
        case "object":
            let members = try Self.objects(entry["members"] ?? .array([]), key: "members", of: name).map { member throws(SchemaError) in
                let defaultValue = member["default"]
                return ObjectType.Member(
                    name: try Self.string("name", in: member, of: name),
                    type: try Self.string("type", in: member, of: name),
                    isOptional: defaultValue != nil,
                    defaultValue: defaultValue.flatMap { $0.isNull ? Optional<JSONValue>.none : $0 },
                    features: try Self.features(in: member, of: name))
            }
            let tag = try entry["tag"].map { tag throws(SchemaError) in
                guard let tag = tag.stringValue else { throw SchemaError("schema entry '\(name)': 'tag' is not a string") }
                return tag
            }
            let variants = try Self.objects(entry["variants"] ?? .array([]), key: "variants", of: name).map { variant throws(SchemaError) in
                ObjectType.Variant(case: try Self.string("case", in: variant, of: name),
                                   type: try Self.string("type", in: variant, of: name))
            }
            metaType = .object(ObjectType(members: members, tag: tag, variants: variants))
        case "alternate":
            let members = try Self.objects(entry["members"] ?? .array([]), key: "members", of: name).map { member throws(SchemaError) in
                try Self.string("type", in: member, of: name)
            }
            metaType = .alternate(AlternateType(members: members))
        case "command":
            metaType = .command(Command(
                argumentType: try Self.string("arg-type", in: entry, of: name),
                returnType: try Self.string("ret-type", in: entry, of: name),
                allowsOutOfBand: entry["allow-oob"]?.boolValue ?? false))
        case "event":
            metaType = .event(Event(argumentType: try Self.string("arg-type", in: entry, of: name)))
        default:
            metaType = .unknown(metaTypeName)
        }
        self.init(name: name, metaType: metaType, features: try Self.features(in: entry, of: name))
    }

    private static func string(_ key: String, in object: JSONObject, of entry: String?) throws(SchemaError) -> String {
        guard let value = object[key] else {
            throw SchemaError("\(entry.map { "schema entry '\($0)'" } ?? "schema entry"): missing '\(key)'")
        }
        guard let string = value.stringValue else {
            throw SchemaError("\(entry.map { "schema entry '\($0)'" } ?? "schema entry"): '\(key)' is \(value.typeName), not a string")
        }
        return string
    }

    private static func strings(_ key: String, in object: JSONObject, of entry: String) throws(SchemaError) -> [String] {
        guard let array = object[key]?.arrayValue else {
            throw SchemaError("schema entry '\(entry)': '\(key)' is missing or not an array")
        }
        return try elements(array, key: key, of: entry, kind: "a string", \.stringValue)
    }

    private static func objects(_ value: JSONValue, key: String, of entry: String) throws(SchemaError) -> [JSONObject] {
        guard let array = value.arrayValue else {
            throw SchemaError("schema entry '\(entry)': '\(key)' is not an array")
        }
        return try elements(array, key: key, of: entry, kind: "an object", \.objectValue)
    }

    /// Every element of `array` as `T`; the first that is not one is an error naming `kind`.
    private static func elements<T>(
        _ array: [JSONValue], key: String, of entry: String, kind: String, _ transform: (JSONValue) -> T?
    ) throws(SchemaError) -> [T] {
        var elements: [T] = []
        elements.reserveCapacity(array.count)
        for element in array {
            guard let value = transform(element) else {
                throw SchemaError("schema entry '\(entry)': '\(key)' holds \(element.typeName), not \(kind)")
            }
            elements.append(value)
        }
        return elements
    }

    private static func features(in object: JSONObject, of entry: String) throws(SchemaError) -> [String] {
        guard object["features"] != nil else { return [] }
        return try strings("features", in: object, of: entry)
    }
}
