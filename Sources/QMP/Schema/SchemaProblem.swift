/// One way a command or event name disagrees with the QEMU schema.
///
/// ```swift
/// let problem = schema.validate(command: "migrate-set-capabilities",
///     arguments: ["capabilities": [["capability": "xbzrel", "state": true]]]).first!
/// problem.path.description  // "arguments.capabilities[0].capability"
/// problem.suggestion        // "xbzrle"
/// ```
///
/// `description` is `PATH: MESSAGE`; a caller that knows the source line of
/// the path prints `file:line:column: target: MESSAGE` instead.
public struct SchemaProblem: Sendable, Hashable, CustomStringConvertible {
    /// The kind of disagreement.
    public enum Kind: Sendable, Hashable {
        /// The command does not exist in this QEMU.
        case unknownCommand
        /// The event does not exist in this QEMU.
        case unknownEvent
        /// A required argument or member is absent.
        case missingMember
        /// An argument or member the type does not have.
        case unknownMember
        /// The value has the wrong JSON type (for an alternate: fits none of its types).
        case wrongType
        /// A string that is not one of the enum's values (including a union tag).
        case invalidEnumValue
    }

    public var kind: Kind
    /// Where the problem lies; for a missing member, the member that should be there.
    public var path: SchemaPath
    /// One sentence for people, without the path.
    public var message: String
    /// The closest valid name, when one is near enough to be a likely typo.
    public var suggestion: String?

    public init(kind: Kind, path: SchemaPath, message: String, suggestion: String? = nil) {
        self.kind = kind
        self.path = path
        self.message = message
        self.suggestion = suggestion
    }

    public var description: String { "\(path): \(message)" }
}
