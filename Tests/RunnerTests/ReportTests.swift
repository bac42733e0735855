import Foundation
import FoundationXML
import Playbook
import QMP
import Testing
@testable import Runner

@Suite struct ReportTests {
    static func sampleReport() -> RunReport {
        var report = RunReport(
            playbook: .init(path: "Playbooks/usb.yaml", name: "USB <hot> & plug", sha256: "abc"),
            started: Date(timeIntervalSince1970: 1_795_000_000.5))
        report.finished = report.started.addingTimeInterval(1)
        report.duration = .milliseconds(1000)
        report.outcome = .failed
        report.exitStatus = .stepFailed
        report.message = "step 1 failed"
        var target = TargetReport(name: "vm", mode: .launch, address: "unix:/tmp/x/vm.qmp")
        target.qemu = .init(major: 7, minor: 2, micro: 22, package: "Debian")
        target.capabilities = ["oob"]
        target.enabled = []
        target.process = .init(pid: 42, exit: .exited(0), stderrTail: "")
        report.targets = [target]
        var passed = StepReport(index: 0, id: "plug", name: "plug", target: "vm", action: .execute, status: .passed)
        passed.started = report.started
        passed.duration = .microseconds(1300)
        passed.attempts = 1
        passed.request = ["execute": "device_add", "arguments": ["id": "t0"]]
        passed.response = ["return": [:]]
        var failed = StepReport(index: 1, name: "wait", target: "vm", action: .waitEvent, status: .timeout)
        failed.message = "no DEVICE_DELETED within 5s; meanwhile: RESUME"
        let skipped = StepReport(index: 2, name: "later", target: "vm", action: .sleep, status: .skipped)
        var always = StepReport(index: 3, name: "status", target: "vm", action: .execute, phase: .always, status: .passed)
        always.response = ["return": ["status": "running"]]
        report.steps = [passed, failed, skipped, always]
        report.events = [EventReport(target: "vm", event: RecordedEvent(name: "RESUME", takenBy: nil))]
        return report
    }

    @Test func everyKeyOfTheFormatIsPresent() throws {
        let json = Self.sampleReport().jsonValue
        let top = ["format", "tool", "playbook", "started", "finished", "duration_ms", "outcome", "exit_code",
                   "targets", "steps", "events", "summary"]
        for key in top { #expect(json[key] != nil, "missing \(key)") }
        let targetKeys = ["name", "mode", "address", "qemu", "capabilities", "enabled", "protocol_errors", "process"]
        for key in targetKeys { #expect(json["targets"]?[0]?[key] != nil, "missing targets[].\(key)") }
        for key in ["pid", "exit_status", "stderr_tail"] { #expect(json["targets"]?[0]?["process"]?[key] != nil) }
        let stepKeys = ["index", "id", "name", "target", "action", "status", "started", "duration_ms", "attempts",
                        "request", "response", "event", "message", "phase"]
        for step in json["steps"]?.arrayValue ?? [] {
            for key in stepKeys { #expect(step[key] != nil, "missing steps[].\(key)") }
        }
        for key in ["target", "event", "data", "timestamp", "received", "taken_by"] {
            #expect(json["events"]?[0]?[key] != nil)
        }
        #expect(json["format"] == "qmpbook-report/1")
        #expect(json["steps"]?[2]?["request"] == .null)
        #expect(json["steps"]?[3]?["phase"] == "always")
        #expect(json["summary"] == ["total": 4, "passed": 2, "failed": 0, "timeout": 1, "error": 0,
                                    "skipped": 1, "ignored": 0])
        #expect(json["started"] == "2026-11-18T11:06:40.500Z")
    }

    @Test func redactionHidesArgumentsResponseAndEventData() {
        var step = StepReport(index: 0, name: "secret", target: "vm", action: .execute, status: .passed)
        step.request = ["execute": "object-add", "arguments": ["password": "hunter2"]]
        step.response = ["return": [:]]
        step.event = ["event": "X", "data": ["k": "v"], "timestamp": [:]]
        let redacted = step.redacted.jsonValue
        #expect(redacted["request"]?["arguments"] == "<redacted>")
        #expect(redacted["request"]?["execute"] == "object-add")
        #expect(redacted["response"] == "<redacted>")
        #expect(redacted["event"]?["data"] == "<redacted>")
        #expect(!redacted.jsonText.contains("hunter2"))
        let event = EventReport(target: "vm", event: RecordedEvent(name: "X", data: ["k": "v"]), redacted: true)
        #expect(event.jsonValue["data"] == "<redacted>")
    }

    @Test func writesAtomicallyAndLeavesNoTemporaryFile() throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        let path = folder.file("r.json")
        try ReportWriter.write(["first": true], to: path)
        try ReportWriter.write(Self.sampleReport().jsonValue, to: path)
        let written = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(written["format"] == "qmpbook-report/1")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["r.json"])
    }

    @Test func aReportThatCannotBeWrittenIsAnInfrastructureError() {
        #expect(throws: RunnerError.self) {
            try ReportWriter.write(["x": 1], to: "/nonexistent-folder/r.json")
        }
    }

    @Test func junitParsesWithOneTestcasePerStep() throws {
        let xml = JUnitWriter.render(Self.sampleReport())
        let document = try XMLDocument(data: Data(xml.utf8))
        let suites = try document.nodes(forXPath: "/testsuites/testsuite")
        #expect(suites.count == 1)
        let cases = try document.nodes(forXPath: "//testcase")
        #expect(cases.count == 4)
        let first = try #require(cases.first as? XMLElement)
        #expect(first.attribute(forName: "classname")?.stringValue == "USB <hot> & plug.vm")
        let failures = try document.nodes(forXPath: "//testcase/failure")
        #expect(failures.count == 1)
        let failure = try #require(failures.first as? XMLElement)
        #expect(failure.attribute(forName: "message")?.stringValue == "no DEVICE_DELETED within 5s; meanwhile: RESUME")
        #expect(failure.stringValue?.contains("no DEVICE_DELETED") == true)
        #expect(try document.nodes(forXPath: "//testcase/skipped").count == 1)
    }

    @Test func jsonLinesAreEachOneJSONObject() throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        let path = folder.file("run.jsonl")
        let writer = try JSONLinesWriter(path: path)
        let report = Self.sampleReport()
        let playbook = try PlaybookLoader.load(bytes: Array("""
            name: plug
            targets: {vm: {connect: unix:/x}}
            steps: [{id: plug, execute: device_add}]
            """.utf8), path: "p.yaml").get()
        writer.stepStarted(playbook.steps[0])
        writer.eventReceived(report.events[0])
        writer.stepFinished(report.steps[0])
        writer.runFinished(report)
        writer.stepFinished(report.steps[0])   // after the report: the file is closed, nothing more is written
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        let started = try JSONValue(parsing: String(lines[0]))
        #expect(started["id"] == "plug" && started["target"] == "vm" && started["phase"] == "main" && started["index"] == 0)
        let types = try lines.map { try JSONValue(parsing: String($0))["type"]?.stringValue }
        #expect(types == ["step-started", "event", "step-finished", "report"])
    }

    @Test func durationsReadForPeople() {
        // One formatter: a measured 2s reads `2s`, as a timeout of 2s does, never `2.0s`.
        #expect(describe(.microseconds(812)) == "812µs")
        #expect(describe(.microseconds(12_345)) == "12ms")
        #expect(describe(.milliseconds(1520)) == "1.52s")
        #expect(describe(.milliseconds(2000)) == "2s")
        #expect(describe(.seconds(2)) == DurationText.format(.seconds(2)))
    }

    /// The report's cap on events: the oldest untaken first; a taken event is kept even past the cap.
    @Test func theEventCapKeepsTakenEventsAndTheNewestOthers() {
        func event(_ name: String, taken: Int? = nil) -> EventReport {
            EventReport(target: "vm", event: RecordedEvent(name: name, takenBy: taken))
        }
        let events = [event("A", taken: 0), event("B"), event("C", taken: 1), event("D"), event("E")]
        let (kept, leftOut) = EventReport.kept(events, limit: 3)
        #expect(kept.map(\.event.name) == ["A", "C", "E"])
        #expect(leftOut == 2)
        let (tight, tightOut) = EventReport.kept(events, limit: 1)
        #expect(tight.map(\.event.name) == ["A", "C"], "taken events stay past the cap")
        #expect(tightOut == 3)
        #expect(EventReport.kept(events, limit: nil).0.count == 5)
        #expect(EventReport.kept(events, limit: 5).1 == 0)
    }
}
