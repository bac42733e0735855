import FoundationEssentials
import QMP

/// The results of a fleet (SPEC.md §11, `qmpbook-fleet-report/1`): one entry
/// per member, pointing at the member's own report.
///
/// ```json
/// {"format": "qmpbook-fleet-report/1", "started": "…", "finished": "…", "duration_ms": 812.4,
///  "playbook": {"path": "check.yaml", "name": "nightly check", "sha256": "…"},
///  "members": [{"name": "web-01", "outcome": "passed", "exit_code": 0,
///               "report": "reports/web-01.report.json", "message": null, "duration_ms": 95.1}],
///  "summary": {"total": 1, "passed": 1, "failed": 0, "error": 0, "interrupted": 0}}
/// ```
///
/// Every key is always present, `null` where it does not apply (a member the
/// fleet never started has `"report": null`).
public struct FleetReport: Sendable {
    public static let format = "qmpbook-fleet-report/1"

    /// How one member ended.
    public struct Member: Sendable {
        public var name: String
        public var outcome: RunReport.Outcome
        public var exitStatus: ExitStatus
        /// The path of the member's report, or nil when it has none (not started, or it could not be written).
        public var report: String?
        /// Why the member did not pass, in one line; nil when it passed.
        public var message: String?
        public var duration: Duration?

        public var jsonValue: JSONValue {
            [
                "name": .string(name), "outcome": .string(outcome.rawValue), "exit_code": .int(Int64(exitStatus.code)),
                "report": report.map(JSONValue.string) ?? .null, "message": message.map(JSONValue.string) ?? .null,
                "duration_ms": duration.map { .double(Timestamp.milliseconds($0)) } ?? .null,
            ]
        }
    }

    /// How many members ended how.
    public struct Summary: Sendable, Equatable {
        public var total = 0, passed = 0, failed = 0, error = 0, interrupted = 0

        public init(_ members: [Member]) {
            total = members.count
            for member in members {
                switch member.outcome {
                case .passed: passed += 1
                case .failed: failed += 1
                case .error: error += 1
                case .interrupted: interrupted += 1
                }
            }
        }

        public var jsonValue: JSONValue {
            [
                "total": .int(Int64(total)), "passed": .int(Int64(passed)), "failed": .int(Int64(failed)),
                "error": .int(Int64(error)), "interrupted": .int(Int64(interrupted)),
            ]
        }
    }

    public var playbook: RunReport.PlaybookInfo
    public var started: Date
    public var finished: Date?
    public var duration: Duration?
    /// In inventory order, whatever order they ran in.
    public var members: [Member]
    /// Set when a signal stopped the fleet.
    public var interruption: Int32?

    public init(playbook: RunReport.PlaybookInfo, started: Date, members: [Member] = []) {
        self.playbook = playbook
        self.started = started
        self.members = members
    }

    public var summary: Summary { Summary(members) }

    /// The fleet's exit status (SPEC.md §11): 0 when every member passed,
    /// else the most severe of the members' (3 over 2 over 1); 128 + N when a signal stopped it.
    public var exitStatus: ExitStatus {
        if let interruption { return .interrupted(signal: interruption) }
        return Self.mostSevere(members.map(\.exitStatus))
    }

    /// 3 over 2 over 1 over 0; an interrupted member counts as its signal.
    static func mostSevere(_ statuses: [ExitStatus]) -> ExitStatus {
        func rank(_ status: ExitStatus) -> Int {
            switch status {
            case .passed: 0
            case .stepFailed: 1
            case .invalidInput: 2
            case .infrastructure: 3
            case .interrupted: 4
            }
        }
        return statuses.max { rank($0) < rank($1) } ?? .passed
    }

    public var jsonValue: JSONValue {
        [
            "format": .string(Self.format),
            "started": .string(Timestamp.string(started)),
            "finished": finished.map { .string(Timestamp.string($0)) } ?? .null,
            "duration_ms": duration.map { .double(Timestamp.milliseconds($0)) } ?? .null,
            "playbook": [
                "path": .string(playbook.path), "name": .string(playbook.name),
                "sha256": playbook.sha256.map(JSONValue.string) ?? .null,
            ],
            "members": .array(members.map(\.jsonValue)),
            "summary": summary.jsonValue,
        ]
    }
}
