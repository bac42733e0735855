import QMP

/// How a host command ended and what it printed: what a `command` step's
/// `expect`, `until` and `register` see.
///
/// ```swift
/// let result = try await HostCommand(["qemu-img", "info", "--output=json", path]).run()
/// result.exit.status            // 0
/// result.value["json"]          // {"format": "qcow2", …}
/// ```
public struct HostCommandResult: Sendable {
    /// Why qmpbook ended the command itself.
    public enum Ending: Sendable, Equatable {
        /// Its timeout passed.
        case timedOut
        /// qmpbook was asked to stop (SIGINT, SIGTERM, SIGHUP: task cancellation).
        case cancelled
    }

    /// The child's pid, which was also its process group id.
    public var pid: Int32
    public var exit: ProcessExit
    /// stdout and stderr, each cut at the command's output limit.
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]
    /// Whether the program printed more than was kept.
    public var standardOutputTruncated: Bool
    public var standardErrorTruncated: Bool
    /// Set when qmpbook ended the command (timeout or cancellation) rather than the program itself.
    public var ending: Ending?

    /// stdout as JSON when it is exactly one JSON document, else nil.
    public var parsedOutput: JSONValue? {
        guard !standardOutputTruncated, let value = try? JSONValue(parsing: standardOutput) else { return nil }
        return value
    }

    /// `{exit, signal, stdout, stderr, json}`: the value patterns and `register` see.
    public var value: JSONValue {
        [
            "exit": exit.status.map { .int(Int64($0)) } ?? .null,
            "signal": exit.signalName.map { .string($0) } ?? .null,
            "stdout": .string(String(decoding: standardOutput, as: UTF8.self)),
            "stderr": .string(String(decoding: standardError, as: UTF8.self)),
            "json": parsedOutput ?? .null,
        ]
    }

    /// ``value`` with `stdout_truncated` and `stderr_truncated`: a step's `response` in the report.
    public var reportValue: JSONValue {
        guard case .object(var object) = value else { return value }
        object["stdout_truncated"] = .bool(standardOutputTruncated)
        object["stderr_truncated"] = .bool(standardErrorTruncated)
        return .object(object)
    }
}
