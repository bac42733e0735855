import FoundationEssentials
import Playbook
import QMP

/// The results of one run, as SPEC.md §5 (`qmpbook-report/1`) describes them.
///
/// ```swift
/// var report = RunReport(playbook: .init(path: "p.yaml", name: "demo", sha256: "…"), started: Date())
/// report.steps.append(StepReport(index: 0, name: "query", target: "vm", action: .execute))
/// try ReportWriter.write(report, to: "p.report.json")
/// ```
///
/// The report is written with every key the format defines, `null` where a
/// value does not apply, straight to its file (``write(to:indent:)``): the
/// steps a run spooled are copied as they are. Redaction is already applied
/// to the ``StepReport``s and ``EventReport``s it holds.
public struct RunReport: Sendable {
    public static let format = "qmpbook-report/1"

    public struct PlaybookInfo: Sendable {
        public var path: String
        public var name: String
        public var sha256: String?

        public init(path: String, name: String, sha256: String?) {
            self.path = path
            self.name = name
            self.sha256 = sha256
        }
    }

    public enum Outcome: String, Sendable {
        case passed, failed, error, interrupted
    }

    public var toolVersion: String
    public var playbook: PlaybookInfo
    public var started: Date
    public var finished: Date?
    public var duration: Duration?
    public var outcome: Outcome
    /// The exit status of the run; `exit_code` in the JSON.
    public var exitStatus: ExitStatus
    /// Why the run did not pass, in one sentence, or nil when it passed.
    public var message: String?
    public var targets: [TargetReport]
    public var steps: ReportSteps
    public var events: [EventReport]
    /// How many events the report leaves out to keep within ``RunOptions/reportEventLimit``.
    public var eventsLeftOut = 0
    /// How long the preflight took (reading the schemas and checking the steps); nil when it did not run.
    public var preflightDuration: Duration?
    /// What the preflight found wrong (the run then stopped before its first step).
    public var preflightProblems: [PreflightProblem]

    public init(playbook: PlaybookInfo, started: Date, toolVersion: String = ToolVersion.current) {
        self.toolVersion = toolVersion
        self.playbook = playbook
        self.started = started
        self.outcome = .passed
        self.exitStatus = .passed
        self.targets = []
        self.steps = []
        self.events = []
        self.preflightProblems = []
    }

    /// Counts of steps by status.
    public var summary: Summary { steps.summary }

    /// The whole report as a value (for a test or the `--jsonl` stream); a file gets ``write(to:indent:)``.
    public var jsonValue: JSONValue {
        var output = ReportOutput()
        write(to: &output, indent: nil)
        return (try? JSONValue(parsing: output.bytes)) ?? .null
    }

    /// Writes the report's JSON to `output` (`indent` nil: compact), with no tree built first.
    func write(to output: inout ReportOutput, indent: Int?) {
        var object = JSONContainerWriter(.object, indent: indent, level: 0, to: &output.bytes)
        func member(_ key: String, _ value: JSONValue) { object.member(key, value, to: &output.bytes) }
        func array<Element>(_ key: String, _ elements: [Element], _ json: (Element) -> JSONValue) {
            object.start(key, to: &output.bytes)
            var list = JSONContainerWriter(.array, indent: indent, level: object.memberLevel, to: &output.bytes)
            for element in elements {
                list.element(json(element), to: &output.bytes)
                output.flushWhenFull()
            }
            list.close(&output.bytes)
        }
        member("format", .string(Self.format))
        member("tool", ["name": "qmpbook", "version": .string(toolVersion)])
        member("playbook", [
            "path": .string(playbook.path), "name": .string(playbook.name),
            "sha256": playbook.sha256.map(JSONValue.string) ?? .null,
        ])
        member("started", .string(Timestamp.string(started)))
        member("finished", finished.map { .string(Timestamp.string($0)) } ?? .null)
        member("duration_ms", duration.map { .double(Timestamp.milliseconds($0)) } ?? .null)
        member("outcome", .string(outcome.rawValue))
        member("exit_code", .int(Int64(exitStatus.code)))
        member("message", message.map(JSONValue.string) ?? .null)
        array("targets", targets, \.jsonValue)
        object.start("steps", to: &output.bytes)
        var list = JSONContainerWriter(.array, indent: indent, level: object.memberLevel, to: &output.bytes)
        steps.write(into: &list, output: &output)
        list.close(&output.bytes)
        object.start("events", to: &output.bytes)
        var eventList = JSONContainerWriter(.array, indent: indent, level: object.memberLevel, to: &output.bytes)
        for event in events {
            eventList.start(to: &output.bytes)
            event.write(to: &output.bytes, indent: indent, level: eventList.memberLevel)
            output.flushWhenFull()
        }
        eventList.close(&output.bytes)
        member("events_left_out", .int(Int64(eventsLeftOut)))
        member("preflight_ms", preflightDuration.map { .double(Timestamp.milliseconds($0)) } ?? .null)
        array("preflight_problems", preflightProblems, \.jsonValue)
        member("summary", summary.jsonValue)
        object.close(&output.bytes)
    }
}

/// How many steps ended in each status.
public struct Summary: Sendable, Equatable {
    public var total = 0, passed = 0, failed = 0, timeout = 0, error = 0, skipped = 0, ignored = 0

    /// Counts the steps that act: a block's, an include's or a loop's own entry is not counted, its steps are.
    public init(_ steps: [StepReport]) {
        self.init(steps.lazy.map { (status: $0.status, holdsSteps: $0.holdsSteps) })
    }

    init<S: Sequence<(status: StepStatus, holdsSteps: Bool)>>(_ entries: S) {
        for entry in entries where !entry.holdsSteps {
            total += 1
            switch entry.status {
            case .passed, .rescued: passed += 1
            case .failed: failed += 1
            case .timeout: timeout += 1
            case .error: error += 1
            case .skipped: skipped += 1
            case .ignored: ignored += 1
            }
        }
    }

    public var jsonValue: JSONValue {
        [
            "total": .int(Int64(total)), "passed": .int(Int64(passed)), "failed": .int(Int64(failed)),
            "timeout": .int(Int64(timeout)), "error": .int(Int64(error)), "skipped": .int(Int64(skipped)),
            "ignored": .int(Int64(ignored)),
        ]
    }
}
