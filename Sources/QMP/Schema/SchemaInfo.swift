/// One entry of QEMU's introspected QAPI schema, as `query-qmp-schema` returns it.
///
/// ```swift
/// let schema = try QMPSchema(parsing: reply)
/// if case .command(let command) = schema.command(named: "getfd")?.metaType {
///     schema.type(named: command.argumentType)   // the object of `fdname`
/// }
/// ```
///
/// QEMU masks the names of non-builtin types as numbers (`"1"`, `"2"`…) and
/// names arrays after their element (`"[142]"`, `"[int]"`); commands and
/// events keep their real names. References between entries are those names:
/// resolve them with ``QMPSchema/type(named:)``. The names of the nested types
/// mirror QEMU's `SchemaInfo*` types in `qapi/introspect.json`.
public struct SchemaInfo: Sendable, Hashable {
    /// The entity's name: a command or event name, a builtin's name, or a masked type name.
    public var name: String
    /// What the entity is, with the details of its kind.
    public var metaType: MetaType
    /// Feature flags such as `deprecated` or `unstable`.
    public var features: [String]

    public init(name: String, metaType: MetaType, features: [String] = []) {
        self.name = name
        self.metaType = metaType
        self.features = features
    }

    /// The meta-types of QEMU's introspection, each with its details.
    public enum MetaType: Sendable, Hashable {
        case builtin(Builtin)
        case `enum`(EnumType)
        case array(ArrayType)
        case object(ObjectType)
        case alternate(AlternateType)
        case command(Command)
        case event(Event)
        /// A meta-type this version does not know (a newer QEMU); its values are not checked.
        case unknown(String)

        /// The meta-type's name as QEMU spells it (`object`, `enum`…).
        public var name: String {
            switch self {
            case .builtin: return "builtin"
            case .enum: return "enum"
            case .array: return "array"
            case .object: return "object"
            case .alternate: return "alternate"
            case .command: return "command"
            case .event: return "event"
            case .unknown(let name): return name
            }
        }
    }

    /// The JSON types QEMU's builtins map to (`SchemaInfoBuiltin.json-type`).
    public enum JSONType: String, Sendable, Hashable, CaseIterable {
        case string, number, int, boolean, null, object, array
        /// Any JSON value (the builtin `any`).
        case value
    }

    /// A builtin type: `str`, `int`, `number`, `bool`, `null`, `any` (and, in
    /// older QEMUs, the sized integers), with the JSON type its values take.
    public struct Builtin: Sendable, Hashable {
        public var jsonType: JSONType
        public init(jsonType: JSONType) { self.jsonType = jsonType }
    }

    /// An enumeration: its values are JSON strings.
    public struct EnumType: Sendable, Hashable {
        /// The members in schema order; each value may carry features.
        public var members: [Member]
        public init(members: [Member]) { self.members = members }

        /// The valid values, in schema order.
        public var values: [String] { members.map(\.name) }

        public struct Member: Sendable, Hashable {
            public var name: String
            public var features: [String]
            public init(name: String, features: [String] = []) {
                self.name = name
                self.features = features
            }
        }
    }

    /// An array whose elements all have one type.
    public struct ArrayType: Sendable, Hashable {
        /// The name of the element type.
        public var elementType: String
        public init(elementType: String) { self.elementType = elementType }
    }

    /// A JSON object with named members, possibly a flat union.
    ///
    /// A flat union has a `tag`: one of its (enum-typed) members. The tag's
    /// value picks the variant whose `case` equals it, and the variant
    /// object's members are added to the object's own.
    public struct ObjectType: Sendable, Hashable {
        public var members: [Member]
        /// The member whose value selects a variant, for a flat union.
        public var tag: String?
        public var variants: [Variant]

        public init(members: [Member], tag: String? = nil, variants: [Variant] = []) {
            self.members = members
            self.tag = tag
            self.variants = variants
        }

        public struct Member: Sendable, Hashable {
            public var name: String
            /// The name of the member's type.
            public var type: String
            /// True when the member may be left out (introspection's `default` key is present).
            public var isOptional: Bool
            /// The default QEMU documents, when it names one (QEMU 7.2 sends `null` for every optional member).
            public var defaultValue: JSONValue?
            public var features: [String]

            public init(name: String, type: String, isOptional: Bool = false, defaultValue: JSONValue? = nil, features: [String] = []) {
                self.name = name
                self.type = type
                self.isOptional = isOptional
                self.defaultValue = defaultValue
                self.features = features
            }
        }

        public struct Variant: Sendable, Hashable {
            /// The tag value selecting this variant.
            public var `case`: String
            /// The name of the object type whose members are added.
            public var type: String
            public init(case: String, type: String) {
                self.case = `case`
                self.type = type
            }
        }
    }

    /// A value that may take any one of several types, told apart by JSON type.
    public struct AlternateType: Sendable, Hashable {
        /// The names of the member types.
        public var members: [String]
        public init(members: [String]) { self.members = members }
    }

    /// A QMP command.
    public struct Command: Sendable, Hashable {
        /// The name of the object type of `arguments` (an empty object when it takes none).
        public var argumentType: String
        /// The name of the type of `return`.
        public var returnType: String
        /// True when the command may run out-of-band.
        public var allowsOutOfBand: Bool

        public init(argumentType: String, returnType: String, allowsOutOfBand: Bool = false) {
            self.argumentType = argumentType
            self.returnType = returnType
            self.allowsOutOfBand = allowsOutOfBand
        }
    }

    /// An asynchronous event QEMU may send.
    public struct Event: Sendable, Hashable {
        /// The name of the object type of the event's `data`.
        public var argumentType: String
        public init(argumentType: String) { self.argumentType = argumentType }
    }
}
