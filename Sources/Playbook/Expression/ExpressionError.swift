/// Why an expression cannot be read or evaluated: one sentence, and where.
///
/// `offset` counts Unicode scalars from the start of the expression's
/// source (the text between `${` and `}`); nil when the problem concerns
/// the whole expression (most run-time type errors).
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int?

    public init(_ message: String, at offset: Int? = nil) {
        self.message = message
        self.offset = offset
    }

    public var description: String { message }
}
