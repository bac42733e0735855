import FoundationEssentials
public import Playbook
import QMP

/// How a step ended.
public enum StepStatus: String, Sendable {
    case passed, failed, timeout, error, skipped, ignored
    /// Failed inside a block whose `rescue` steps then ran (SPEC.md §8.3); counts as passed.
    case rescued

    /// Whether the run can go on after it.
    public var isSuccess: Bool { self == .passed || self == .skipped || self == .ignored || self == .rescued }
}

/// One step in the report.
public struct StepReport: Sendable {
    public enum Phase: String, Sendable {
        case main, always
    }

    /// The value written for redacted data.
    public static let redacted: JSONValue = "<redacted>"

    public var index: Int
    public var id: String?
    public var name: String
    public var target: String?
    public var action: StepKind
    public var phase: Phase = .main
    public var status: StepStatus = .skipped
    public var started: Date?
    public var duration: Duration?
    /// How many times the command was sent (nil for steps that send none).
    public var attempts: Int?
    /// `{execute, arguments, fd}` as sent, or nil when nothing was sent.
    public var request: JSONValue?
    /// `{return: …}` or `{error: …}`, or the text a `log` step printed.
    public var response: JSONValue?
    /// The event a wait took, `{event, data, timestamp}`.
    public var event: JSONValue?
    public var message: String?
    public var tags: [String] = []
    /// Where the step is written: the playbook (or included file) and its line.
    public var file: String?
    public var line: Int?
    /// The column the step starts at, on ``line``.
    public var column: Int?
    /// `FILE:LINE:COLUMN` of the step in its file; nil without all three.
    public var location: String? {
        guard let file, let line, let column else { return nil }
        return SourceLocation(file: file, line: line, column: column).description
    }
    /// The loop iteration this entry belongs to (0-based) and its element; nil outside loops.
    public var iteration: Int?
    public var item: JSONValue?
    /// The index of the entry of the block, include or loop this one is inside; nil at the top.
    public var parent: Int?
    /// Whether this entry is a block, an include or a loop, whose steps have entries of their own
    /// (the summary and the JUnit file count only the steps that act).
    public var holdsSteps = false

    /// The same step with arguments (a command's argv), response and event data replaced by `"<redacted>"`.
    public var redacted: StepReport {
        var copy = self
        if case .object(var request) = copy.request {
            if request["arguments"] != nil { request["arguments"] = Self.redacted }
            if request["command"] != nil { request["command"] = Self.redacted }
            copy.request = .object(request)
        }
        if copy.response != nil { copy.response = Self.redacted }
        if copy.item != nil { copy.item = Self.redacted }
        if case .object(var event) = copy.event {
            event["data"] = Self.redacted
            copy.event = .object(event)
        }
        return copy
    }

    /// The entry as the report writes it; ``write(to:indent:level:)`` is where its keys are.
    public var jsonValue: JSONValue {
        var bytes: [UInt8] = []
        write(to: &bytes, indent: nil, level: 0)
        return (try? JSONValue(parsing: bytes)) ?? .null
    }
}
