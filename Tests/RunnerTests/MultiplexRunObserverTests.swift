import Foundation
import Playbook
import QMP
import Synchronization
import Testing
@testable import Runner

/// An observer that writes down every call it gets, as `NAME:DETAIL`, into a log it may share with others.
final class RecordingObserver: RunObserver {
    let name: String
    let log: Mutex<[String]>
    private let shared: RecordingLog?

    init(_ name: String = "", sharing shared: RecordingLog? = nil) {
        self.name = name
        self.log = Mutex([])
        self.shared = shared
    }

    var calls: [String] { log.withLock { $0 } }

    private func record(_ call: String) {
        let entry = name.isEmpty ? call : "\(name) \(call)"
        log.withLock { $0.append(entry) }
        shared?.append(entry)
    }

    func stepStarted(_ step: Step) { record("started:\(step.name)") }
    func stepFinished(_ step: StepReport) { record("finished:\(step.name):\(step.status.rawValue)") }
    func eventReceived(_ event: EventReport) { record("event:\(event.target)/\(event.event.name)") }
    func requestSent(_ request: JSONValue, target: String) { record("request:\(target):\(request["execute"]?.stringValue ?? "")") }
    func replyReceived(_ reply: JSONValue, target: String) { record("reply:\(target)") }
    func note(_ text: String, evenWhenQuiet: Bool) { record("note:\(text):\(evenWhenQuiet)") }
    func runFinished(_ report: RunReport) { record("run:\(report.outcome.rawValue)") }
}

/// One log for several observers, to see the order between them.
final class RecordingLog: Sendable {
    private let entries = Mutex<[String]>([])
    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

/// An observer that implements nothing: every call goes to the defaults.
struct SilentObserver: RunObserver {}

@Suite struct MultiplexRunObserverTests {
    private static func step() throws -> Step {
        try PlaybookLoader.load(bytes: Array("""
            name: one
            targets: {vm: {connect: unix:/x}}
            steps: [{name: plug, execute: device_add}]
            """.utf8), path: "p.yaml").get().steps[0]
    }

    @Test func everyCallGoesToEveryObserverInOrder() throws {
        let log = RecordingLog()
        let first = RecordingObserver("a", sharing: log)
        let second = RecordingObserver("b", sharing: log)
        let multiplex = MultiplexRunObserver([first, SilentObserver(), second])
        let report = ReportTests.sampleReport()

        multiplex.stepStarted(try Self.step())
        multiplex.requestSent(["execute": "device_add"], target: "vm")
        multiplex.replyReceived(["return": [:]], target: "vm")
        multiplex.eventReceived(report.events[0])
        multiplex.stepFinished(report.steps[0])
        multiplex.note("kept", evenWhenQuiet: true)
        multiplex.note("plain")
        multiplex.runFinished(report)

        let calls = [
            "started:plug", "request:vm:device_add", "reply:vm", "event:vm/\(report.events[0].event.name)",
            "finished:\(report.steps[0].name):\(report.steps[0].status.rawValue)", "note:kept:true", "note:plain:false",
            "run:failed",
        ]
        #expect(first.calls == calls.map { "a " + $0 })
        #expect(second.calls == calls.map { "b " + $0 })
        #expect(log.all == calls.flatMap { ["a " + $0, "b " + $0] })
    }

    @Test func noObserversIsAnObserverThatDoesNothing() throws {
        let multiplex = MultiplexRunObserver([])
        multiplex.stepStarted(try Self.step())
        multiplex.runFinished(ReportTests.sampleReport())
        #expect(multiplex.observers.isEmpty)
    }

    @Test func multiplexersNest() {
        let inner = RecordingObserver()
        let outer = MultiplexRunObserver([MultiplexRunObserver([inner]), MultiplexRunObserver([])])
        outer.note("once", evenWhenQuiet: false)
        #expect(inner.calls == ["note:once:false"])
    }
}
