/// Why a QAPI schema could not be read, or a cached copy not written.
///
/// A schema that QEMU sent in a shape this model does not understand (a
/// missing `name`, a member without a `type`…) throws this; a meta-type it
/// does not know does not, it becomes ``SchemaInfo/MetaType/unknown(_:)``.
public struct SchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in words.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
