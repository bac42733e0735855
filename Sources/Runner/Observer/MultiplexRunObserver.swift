import Playbook
import QMP

/// Several observers as one: each call goes to every observer, in the
/// order given (as swift-log's `MultiplexLogHandler` composes handlers).
///
/// ```swift
/// let observer = MultiplexRunObserver([try JSONLinesWriter(path: "run.jsonl"), ProgressPrinter()])
/// ```
///
/// With no observers it is the observer that does nothing.
public struct MultiplexRunObserver: RunObserver {
    public let observers: [any RunObserver]

    public init(_ observers: [any RunObserver]) {
        self.observers = observers
    }

    public func stepStarted(_ step: Step) {
        for observer in observers { observer.stepStarted(step) }
    }

    public func stepRunning(_ step: Step, progress: StepProgress) {
        for observer in observers { observer.stepRunning(step, progress: progress) }
    }

    public func stepFinished(_ step: StepReport) {
        for observer in observers { observer.stepFinished(step) }
    }

    public func eventReceived(_ event: EventReport) {
        for observer in observers { observer.eventReceived(event) }
    }

    public func requestSent(_ request: JSONValue, target: String) {
        for observer in observers { observer.requestSent(request, target: target) }
    }

    public func replyReceived(_ reply: JSONValue, target: String) {
        for observer in observers { observer.replyReceived(reply, target: target) }
    }

    public func note(_ text: String, evenWhenQuiet: Bool) {
        for observer in observers { observer.note(text, evenWhenQuiet: evenWhenQuiet) }
    }

    public func runFinished(_ report: RunReport) {
        for observer in observers { observer.runFinished(report) }
    }

    public var outputErrors: [String] { observers.flatMap(\.outputErrors) }
}
