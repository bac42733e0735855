/// QEMU's answer to one command: its `return` value, or its `error`.
///
/// A QMP error is a result here, not a thrown error: ``Monitor/request(_:arguments:passing:timeout:)``
/// returns it, ``Monitor/execute(_:arguments:passing:timeout:)`` throws it.
public enum Reply: Sendable, Equatable {
    case success(JSONValue)
    case failure(QMPErrorReply)

    /// The reply as QMP writes it: `{"return": …}` or `{"error": {"class": …, "desc": …}}`.
    public var json: JSONValue {
        switch self {
        case .success(let value): return .object(["return": value])
        case .failure(let error): return .object(["error": .object(["class": .string(error.errorClass), "desc": .string(error.description)])])
        }
    }

    /// Reads a reply message; nil when it has neither `return` nor `error`.
    package init?(message: JSONObject) {
        if let value = message["return"] {
            self = .success(value)
        } else if let error = message["error"] {
            self = .failure(QMPErrorReply(errorClass: error["class"]?.stringValue ?? "GenericError",
                                          description: error["desc"]?.stringValue ?? error.jsonText))
        } else {
            return nil
        }
    }
}

/// The `error` member of a QMP reply: its class (any string QEMU sends,
/// known or not) and its description.
public struct QMPErrorReply: Sendable, Hashable {
    /// The error class, e.g. `GenericError`, `CommandNotFound`, `DeviceNotFound`.
    public var errorClass: String
    /// QEMU's text (`desc`).
    public var description: String

    public init(errorClass: String, description: String) {
        self.errorClass = errorClass
        self.description = description
    }
}
