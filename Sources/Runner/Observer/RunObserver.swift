import Playbook
import QMP

/// What follows a run as it happens: the progress lines, the JSON lines
/// stream, or a caller's own view. The runner calls only its observer; it
/// never prints.
///
/// ```swift
/// struct Failures: RunObserver {
///     func stepFinished(_ step: StepReport) {
///         if !step.status.isSuccess { print("\(step.name): \(step.message ?? "")") }
///     }
/// }
/// let runner = PlaybookRunner(playbook: playbook, options: options,
///                             observers: [ProgressPrinter(), Failures()])
/// ```
///
/// Every requirement has a default that does nothing, so an observer
/// implements only what it shows. Calls come from the runner's tasks, several
/// at once while targets open (an event of one target while another still
/// connects), one step at a time after that: an observer must be safe to
/// call from any thread and should not block (a slow observer slows the run).
/// Several observers are composed with ``MultiplexRunObserver``.
public protocol RunObserver: Sendable {
    /// A step starts now (main and `always` steps; not a step left out or not run).
    func stepStarted(_ step: Step)
    /// A step that does work (not a block, loop or include) is about to do it:
    /// where it stands in its phase and the time it has.
    func stepRunning(_ step: Step, progress: StepProgress)
    /// A step ended: its entry of the report, redacted when the step is (also for steps that did not run).
    func stepFinished(_ step: StepReport)
    /// An event arrived on a target, before any wait takes it (`redacted`: a redacted step waits for it).
    func eventReceived(_ event: EventReport)
    /// A QMP command was sent to `target`: `{"execute", "arguments"}`, arguments `"<redacted>"` when the step is.
    func requestSent(_ request: JSONValue, target: String)
    /// The reply to it: `{"return": …}` or `{"error": …}`, or ``StepReport/redacted`` when the step is redacted.
    func replyReceived(_ reply: JSONValue, target: String)
    /// A line about the run itself: a target is ready, the preflight passed, the targets stop.
    /// `evenWhenQuiet` for what a user asked to be told, such as the kept run directory's path.
    func note(_ text: String, evenWhenQuiet: Bool)
    /// The run ended and its report (also on disk by now) is final; called once, last.
    func runFinished(_ report: RunReport)
    /// What this observer failed to write, read after ``runFinished(_:)``:
    /// an observer that writes an output (`--jsonl`) names its write errors
    /// here, and the run counts them as an output error (exit 3).
    var outputErrors: [String] { get }
}

/// Where a running step stands, for a progress display: its place among the
/// top-level steps of its phase (main or `always`; a step inside a block,
/// loop or include counts as the top-level step that holds it), and its
/// time budget (its timeout, cut short by the playbook's deadline).
public struct StepProgress: Sendable, Equatable {
    /// 1-based.
    public var position: Int
    public var count: Int
    public var budget: Duration

    public init(position: Int, count: Int, budget: Duration) {
        self.position = position
        self.count = count
        self.budget = budget
    }
}

extension RunObserver {
    public func stepStarted(_ step: Step) {}
    public func stepRunning(_ step: Step, progress: StepProgress) {}
    public func stepFinished(_ step: StepReport) {}
    public func eventReceived(_ event: EventReport) {}
    public func requestSent(_ request: JSONValue, target: String) {}
    public func replyReceived(_ reply: JSONValue, target: String) {}
    public func note(_ text: String, evenWhenQuiet: Bool) {}
    public func runFinished(_ report: RunReport) {}
    public var outputErrors: [String] { [] }

    /// A note that quiet output leaves out.
    public func note(_ text: String) { note(text, evenWhenQuiet: false) }
}
