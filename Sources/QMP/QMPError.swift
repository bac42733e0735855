/// Why a QMP operation failed: the peer answered with an error, or the
/// connection could not do what was asked.
///
/// ```swift
/// do {
///     try await monitor.execute("device_del", arguments: ["id": "nope"])
/// } catch let error where error.code == .commandFailed {
///     print(error.reply?.errorClass ?? "")   // "DeviceNotFound"
/// }
/// ```
///
/// ``code`` says which kind of failure it is; ``description`` is one line
/// for people. New codes may be added later, so switch with a default.
public struct QMPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public let code: Code
    /// What happened, in words (without the code's name).
    public let message: String
    /// For ``Code/commandFailed``: the error QEMU replied with.
    public let reply: QMPErrorReply?
    /// For ``Code/commandFailed`` and command timeouts: the command's name.
    public let command: String?
    /// For ``Code/connectFailed``: the system error number, when there was one.
    public let errorNumber: Int32?

    /// An error of `code` saying `message` (for engines of this package).
    package init(_ code: Code, _ message: String, reply: QMPErrorReply? = nil, command: String? = nil, errno: Errno? = nil) {
        self.code = code
        self.message = message
        self.reply = reply
        self.command = command
        self.errorNumber = errno?.rawValue
    }

    package var errno: Errno? { errorNumber.map { Errno(rawValue: $0) } }

    /// A command failed: QEMU answered with an `error` reply.
    public static func commandFailed(_ reply: QMPErrorReply, command: String) -> QMPError {
        QMPError(.commandFailed, "\(command) failed: \(reply.errorClass): \(reply.description)", reply: reply, command: command)
    }

    /// The connection is closed (by the peer, or by ``Monitor/disconnect(reason:)``).
    public static func connectionClosed(_ message: String = "the QMP connection is closed") -> QMPError {
        QMPError(.connectionClosed, message)
    }

    /// The peer process exited; a caller that watches the process says so
    /// through ``Monitor/close(reason:)``.
    public static func peerExited(_ message: String) -> QMPError {
        QMPError(.peerExited, message)
    }

    public var description: String { message }
}

extension QMPError {
    /// The kind of a ``QMPError``, comparable with `==` against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Storage: Hashable, Sendable {
            case commandFailed, connectionClosed, timeout, malformed, messageTooLarge
            case peerExited, connectFailed, unsupported, invalidCommand, cancelled
        }

        let storage: Storage

        /// QEMU answered the command with an error (``QMPError/reply`` has its class and text).
        public static let commandFailed = Code(storage: .commandFailed)
        /// The connection closed before the answer came, or was already closed.
        public static let connectionClosed = Code(storage: .connectionClosed)
        /// A deadline passed: connect, accept, greeting, command or event wait.
        public static let timeout = Code(storage: .timeout)
        /// The peer sent something that is not QMP (for example a garbage greeting).
        public static let malformed = Code(storage: .malformed)
        /// The peer sent a message longer than ``MonitorOptions/maximumMessageSize``.
        public static let messageTooLarge = Code(storage: .messageTooLarge)
        /// The peer process exited (reported by the caller that watches it).
        public static let peerExited = Code(storage: .peerExited)
        /// The socket could not be opened, connected, bound or accepted.
        public static let connectFailed = Code(storage: .connectFailed)
        /// The operation is not possible here (for example passing a descriptor over TCP).
        public static let unsupported = Code(storage: .unsupported)
        /// The caller's command is not a JSON object with an `execute` member.
        public static let invalidCommand = Code(storage: .invalidCommand)
        /// The task waiting for the answer was cancelled.
        public static let cancelled = Code(storage: .cancelled)

        public var description: String {
            switch storage {
            case .commandFailed: return "commandFailed"
            case .connectionClosed: return "connectionClosed"
            case .timeout: return "timeout"
            case .malformed: return "malformed"
            case .messageTooLarge: return "messageTooLarge"
            case .peerExited: return "peerExited"
            case .connectFailed: return "connectFailed"
            case .unsupported: return "unsupported"
            case .invalidCommand: return "invalidCommand"
            case .cancelled: return "cancelled"
            }
        }
    }
}
