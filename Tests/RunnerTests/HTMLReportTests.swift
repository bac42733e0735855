import Foundation
import Playbook
import QEMUTestSupport
import QMP
import Testing
@testable import Runner

/// The HTML page from reports of every size: self-contained, escaped, and
/// rendered by headless Chromium without errors for 10 and for 1,000 steps.
@Suite(.serialized, .timeLimit(.minutes(3))) struct HTMLReportTests {
    /// A run of `count` steps over two targets, one event per step (every tenth taken by no wait), the last step failed.
    static func report(steps count: Int) -> RunReport {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        var report = RunReport(playbook: .init(path: "Playbooks/many.yaml", name: "many <steps> & \"quotes\"", sha256: nil), started: start)
        report.duration = .milliseconds(40 + count * 3)
        report.outcome = .failed
        report.exitStatus = .stepFailed
        report.message = "step \(count) failed: <boom>"
        for name in ["src", "dst"] {
            var target = TargetReport(name: name, mode: .launch, address: "unix:/run/\(name).qmp")
            target.qemu = .init(major: 7, minor: 2, micro: 22, package: "")
            target.openedIn = .milliseconds(30)
            report.targets.append(target)
        }
        report.preflightDuration = .milliseconds(8)
        for index in 0..<count {
            var step = StepReport(index: index, name: "step <\(index)>", target: index % 2 == 0 ? "src" : "dst", action: .execute,
                                  status: index == count - 1 ? .failed : .passed)
            step.started = start.addingTimeInterval(Double(40 + index * 3) / 1000)
            step.duration = .milliseconds(2)
            step.request = ["execute": "query-status"]
            step.response = ["return": ["status": "</script><script>alert(1)</script>"]]
            step.file = "Playbooks/many.yaml"
            step.line = 5 + index
            if step.status == .failed { step.message = "expect.return wanted \"running\"" }
            report.steps.append(step)
            var event = RecordedEvent(name: "EVENT_\(index % 7)", takenBy: index % 10 == 0 ? nil : index)
            event.received = start.addingTimeInterval(Double(41 + index * 3) / 1000)
            report.events.append(EventReport(target: step.target ?? "src", event: event))
        }
        return report
    }

    static func write(_ report: RunReport, name: String) throws -> (TemporaryDirectory, String) {
        let folder = try TemporaryDirectory(prefix: "html")
        let path = folder.file(name)
        try ReportWriter.write(Array(HTMLReport.render(report).utf8), to: path)
        return (folder, path)
    }

    @Test func textFromTheRunIsEscaped() {
        let html = HTMLReport.render(Self.report(steps: 3))
        #expect(!html.contains("</script><script>alert(1)"))
        #expect(html.contains("&lt;/script&gt;&lt;script&gt;alert(1)"))
        #expect(html.contains("many &lt;steps&gt; &amp; &quot;quotes&quot;"))
        #expect(html.matches(of: #/<script>/#).count == 2, "only the page's own two scripts")
    }

    @Test func thePageReferencesNothingOutsideItself() {
        let html = HTMLReport.render(Self.report(steps: 20))
        #expect(!html.contains("http:") && !html.contains("https:") && !html.contains("src=") && !html.contains("url("))
        for match in html.matches(of: #/href="([^"]*)"/#) {
            #expect(match.1.hasPrefix("#"), "a link out of the page: \(match.1)")
        }
    }

    @Test func eachStepIsABarThatLeadsToItsRowAndEachEventATick() {
        let html = HTMLReport.render(Self.report(steps: 10))
        #expect(html.matches(of: #/<a href="#step-\d+"><rect class="step /#).count == 10)
        #expect(html.matches(of: #/<tr class="step-row /#).count == 10)
        #expect(html.matches(of: #/<line class="event /#).count == 10)
        #expect(html.matches(of: #/class="event not-taken"/#).count == 1)
        #expect(html.contains("id=\"step-9\""))
        #expect(html.contains("<details open><summary>why it failed</summary>"))
    }

    /// A target with a console and an agent gets a lane for each: the steps
    /// that use the channel, the console's byte count, the agent's first answer.
    @Test func guestChannelsHaveLanesOfTheirOwn() throws {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        var report = RunReport(playbook: .init(path: "guest.yaml", name: "guest", sha256: nil), started: start)
        report.duration = .milliseconds(500)
        var target = TargetReport(name: "vm", mode: .launch)
        target.openedIn = .milliseconds(40)
        target.console = .init(address: nil, bytes: 2048, tail: "login:", log: nil, error: nil)
        target.agent = .init(address: nil, channel: "isa-serial", version: "7.2.0", answeredAfter: .milliseconds(100),
                             synchronisations: 1, protocolErrors: 0, error: nil)
        report.targets = [target]
        for (index, kind) in [StepKind.waitConsole, .agent, .execute].enumerated() {
            var step = StepReport(index: index, name: kind.rawValue, target: "vm", action: kind, status: .passed)
            step.started = start.addingTimeInterval(0.1 + Double(index) / 10)
            step.duration = .milliseconds(50)
            report.steps.append(step)
        }
        let html = HTMLReport.render(report)
        func lane(_ name: String) throws -> Substring {
            let begin = try #require(html.range(of: "data-lane=\"\(name)\""))
            return html[begin.upperBound...].split(separator: "</g>", maxSplits: 1)[0]
        }
        #expect(try lane("vm console").contains("href=\"#step-0\""))
        #expect(try lane("vm console").contains("console printed 2,048 bytes") || lane("vm console").contains("console printed 2048 bytes"))
        #expect(try lane("vm agent").contains("href=\"#step-1\""))
        #expect(try lane("vm agent").contains("the agent 7.2.0 answered"))
        #expect(try lane("vm").contains("href=\"#step-2\""))
        #expect(try !lane("vm").contains("href=\"#step-0\""))
    }

    @Test func overlappingEventNamesAreHiddenAtZoomOne() {
        let html = HTMLReport.render(Self.report(steps: 1000))
        let names = html.matches(of: #/<text class="event-name [^"]*"/#).map { String($0.0) }
        #expect(names.count == 1000)
        let hidden = names.filter { $0.contains(" hidden") }.count
        #expect(hidden > 900, "1,000 names over 1,100 pixels cannot all show: \(hidden) hidden")
    }

    /// Each output reads every entry back from the run's spool once at most,
    /// however many events waits took: the page once read the entries again
    /// for each taken event, which made it quadratic (2,000 steps: 6.6 s).
    @Test func eachOutputReadsEveryEntryBackOnceAtMost() throws {
        var report = Self.report(steps: 1000)
        let spool = try #require(StepSpool.make())
        var spooled = ReportSteps(spool: spool)
        for step in report.steps { spooled.append(step) }
        report.steps = spooled
        #expect(report.events.filter { $0.event.takenBy != nil }.count == 900)
        var before = spool.entriesReadBack
        let page = HTMLReport.render(report)
        #expect(page.matches(of: #/<tr class="step-row /#).count == 1000)
        #expect(spool.entriesReadBack - before == 1000)
        before = spool.entriesReadBack
        _ = JUnitWriter.render(report)
        #expect(spool.entriesReadBack - before <= 1000)
        let folder = try TemporaryDirectory(prefix: "reads")
        before = spool.entriesReadBack
        try ReportWriter.write(report, to: folder.file("report.json"))
        #expect(spool.entriesReadBack - before <= 1000)
    }

    @Test func axisTicksAreRoundNumbers() {
        #expect(HTMLTimeline.tickStep(total: 400, width: 1100) == 50)
        #expect(HTMLTimeline.tickStep(total: 3040, width: 1100) == 500)
        #expect(HTMLTimeline.tickStep(total: 1.2, width: 1100) == 0.2)
    }

    @Test(arguments: [10, 1000])
    func chromiumRendersTheTimelineWithoutErrors(steps: Int) async throws {
        let (folder, path) = try Self.write(Self.report(steps: steps), name: "steps-\(steps).html")
        _ = folder
        let dom = try await HeadlessBrowser.dom(ofFile: path)
        #expect(dom.contains("data-ready=\"yes\""))
        #expect(HeadlessBrowser.scriptErrors(in: dom) == nil, "script errors: \(HeadlessBrowser.scriptErrors(in: dom) ?? "")")
        #expect(dom.matches(of: #/<tr class="step-row /#).count == steps)
        #expect(dom.contains("data-lane=\"src\"") && dom.contains("data-lane=\"dst\""))
        // The script drew the axis again: ticks and grid lines in the axis group.
        #expect(dom.contains("<g class=\"axis\" id=\"timeline-axis\"><line class=\"grid\""))
        try await HeadlessBrowser.screenshot(ofFile: path, named: "synthetic-\(steps)-steps")
    }
}
