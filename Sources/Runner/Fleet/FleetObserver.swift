import FoundationEssentials
import Playbook
import QMP

/// What follows a fleet as it runs: members starting and ending, and (through
/// ``runObserver(for:)``) each member's own run. Calls come from many
/// members' tasks at once: an observer must be safe from any thread and
/// must not block (a slow observer slows every member).
public protocol FleetObserver: Sendable {
    /// A member's run starts now.
    func memberStarted(_ name: String)
    /// A member ended: its entry of the fleet report, and its whole report
    /// (nil for a member that never started), dropped once every observer had it.
    func memberFinished(_ member: FleetReport.Member, report: RunReport?)
    /// What follows one member's run (its steps, for `--jsonl`); called once per member as it starts.
    func runObserver(for member: String) -> any RunObserver
    /// The fleet ended; its report (also on disk by now) is final. Called once, last.
    func fleetFinished(_ report: FleetReport)
    /// What this observer failed to write, read after ``fleetFinished(_:)``.
    var outputErrors: [String] { get }
}

extension FleetObserver {
    public func memberStarted(_ name: String) {}
    public func memberFinished(_ member: FleetReport.Member, report: RunReport?) {}
    public func runObserver(for member: String) -> any RunObserver { MultiplexRunObserver([]) }
    public func fleetFinished(_ report: FleetReport) {}
    public var outputErrors: [String] { [] }
}

/// Several fleet observers as one, called in the order given.
public struct MultiplexFleetObserver: FleetObserver {
    public let observers: [any FleetObserver]

    public init(_ observers: [any FleetObserver]) {
        self.observers = observers
    }

    public func memberStarted(_ name: String) {
        for observer in observers { observer.memberStarted(name) }
    }

    public func memberFinished(_ member: FleetReport.Member, report: RunReport?) {
        for observer in observers { observer.memberFinished(member, report: report) }
    }

    public func runObserver(for member: String) -> any RunObserver {
        MultiplexRunObserver(observers.map { $0.runObserver(for: member) })
    }

    public func fleetFinished(_ report: FleetReport) {
        for observer in observers { observer.fleetFinished(report) }
    }

    public var outputErrors: [String] { observers.flatMap(\.outputErrors) }
}

/// `--jsonl` for a fleet: one JSON line per thing as it happens, every
/// member's step lines carrying `"member"`, and the fleet report last.
///
/// ```json
/// {"type":"member-started","member":"ci-1","time":"…"}
/// {"type":"step-started","member":"ci-1","time":"…","index":0,…}
/// {"type":"step-finished","member":"ci-1","step":{…}}
/// {"type":"member-finished","member":"ci-1","result":{"name":"ci-1","outcome":"passed",…}}
/// {"type":"fleet-report","report":{…}}
/// ```
public final class FleetJSONLinesWriter: FleetObserver {
    let lines: JSONLinesWriter

    /// Opens `path` as ``JSONLinesWriter/init(path:)`` does.
    public init(path: String) throws(RunnerError) {
        lines = try JSONLinesWriter(path: path)
    }

    public func memberStarted(_ name: String) {
        lines.write(["type": "member-started", "member": .string(name), "time": .string(Timestamp.string(Date()))])
    }

    public func memberFinished(_ member: FleetReport.Member, report: RunReport?) {
        lines.write(["type": "member-finished", "member": .string(member.name), "result": member.jsonValue])
    }

    public func runObserver(for member: String) -> any RunObserver {
        MemberLines(member: member, lines: lines)
    }

    public func fleetFinished(_ report: FleetReport) {
        lines.write(["type": "fleet-report", "report": report.jsonValue])
        lines.close()
    }

    public var outputErrors: [String] { lines.outputErrors }

    /// One member's step and event lines, into the fleet's stream.
    struct MemberLines: RunObserver {
        let member: String
        let lines: JSONLinesWriter

        func stepStarted(_ step: Step) { lines.write(line: JSONLinesWriter.stepStartedLine(step, member: member)) }
        func stepFinished(_ step: StepReport) { lines.write(line: JSONLinesWriter.stepFinishedLine(step, member: member)) }
        func eventReceived(_ event: EventReport) { lines.write(line: JSONLinesWriter.eventLine(event, member: member)) }
    }
}
