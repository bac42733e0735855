/// A failure of the runner's machinery (not a failed step, which is a result).
///
/// The ``kind`` says which exit status it maps to: an invalid playbook or
/// invocation (nothing was sent), or an infrastructure failure.
public struct RunnerError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Bad input: nothing was sent to any VM (exit 2).
        case invalidInput
        /// A target could not be launched, reached or handshaken, or was lost (exit 3).
        case infrastructure
        /// The run's deadline (`--timeout`, `timeout:`) passed before the steps could run (exit 1, as for a step it cuts).
        case deadlinePassed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
