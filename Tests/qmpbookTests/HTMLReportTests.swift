import Foundation
import QEMUTestSupport
import QMP
import Testing

/// `qmpbook run --html`: the page of a real run, opened in Debian's headless
/// Chromium: no script errors, the lanes and step rows in the DOM, nothing
/// loaded from anywhere, and a screenshot kept for people
/// (`.build/test-artifacts/html/`).
@Suite(.serialized, .timeLimit(.minutes(4))) struct HTMLReportTests {
    /// Anything that would make the page reach out: a scheme, a protocol-relative or non-anchor link, a CSS url().
    static var externalReference: Regex<Substring> { #/(?i)\b(?:https?|ftp|wss?|file):|(?:src|href|action)\s*=\s*"(?!#)|"\/\/|url\(|@import/# }

    /// What the browser shows of the page: the checks every page passes.
    static func open(_ path: String, steps: Int, lanes: [String]) async throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let outside = text.firstMatch(of: externalReference).map { String(text[$0.range]) }
        #expect(outside == nil, "the page refers outside itself: \(outside ?? "")")
        let dom = try await HeadlessBrowser.dom(ofFile: path)
        #expect(dom.contains("data-ready=\"yes\""), "the page's script did not finish")
        #expect(HeadlessBrowser.scriptErrors(in: dom) == nil, "script errors: \(HeadlessBrowser.scriptErrors(in: dom) ?? "")")
        #expect(dom.matches(of: #/<tr class="step-row /#).count == steps)
        for lane in lanes { #expect(dom.contains("data-lane=\"\(lane)\""), "no lane \(lane)") }
        return dom
    }

    static func expectPNG(_ path: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.count > 10_000)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    /// `run --inventory … --html`: the fleet's page, a row per member linking to
    /// the member's own page (beside its report), each opened in Chromium.
    @Test func aFleetsPageLinksARowPerMemberToItsPage() async throws {
        let fixture = try FleetFixture(playbook: """
            name: fleet page
            targets:
              vm: {launch: \(FleetFixture.qemu)}
            steps:
              - name: status
                execute: query-status
                expect: {return: {status: "${want}"}}
            """, inventory: """
            members:
              ok-1: {vars: {want: prelaunch}}
              ok-2: {vars: {want: prelaunch}}
              bad: {vars: {want: running}}
            """)
        let page = fixture.folder.file("fleet.html")
        let output = try await fixture.run(["--html", page])
        #expect(output.status == 1, "\(output.standardError)")
        let text = try String(contentsOfFile: page, encoding: .utf8)
        #expect(text.firstMatch(of: #/(?i)\b(?:https?|ftp|wss?|file):|url\(|@import/#) == nil, "the page refers outside the folder")
        let links = text.matches(of: #/<a href="([^"#]+)">/#).map { String($0.1) }
        #expect(links == ["reports/ok-1.html", "reports/ok-2.html", "reports/bad.html"])
        for link in links { #expect(FileManager.default.fileExists(atPath: fixture.folder.file(link)), "no member page \(link)") }
        let dom = try await HeadlessBrowser.dom(ofFile: page)
        #expect(dom.contains("data-ready=\"yes\""))
        #expect(HeadlessBrowser.scriptErrors(in: dom) == nil, "script errors: \(HeadlessBrowser.scriptErrors(in: dom) ?? "")")
        #expect(dom.matches(of: #/<tr class="member-row /#).count == 3)
        #expect(dom.contains("id=\"outcome\">failed<"))
        #expect(dom.contains("data-member=\"bad\""))
        #expect(dom.contains("expect.return"), "the failing member's reason is on its row")
        let member = try await Self.open(fixture.folder.file("reports/bad.html"), steps: 1, lanes: ["vm"])
        #expect(member.contains("id=\"outcome\">failed<"))
        try Self.expectPNG(try await HeadlessBrowser.screenshot(ofFile: page, named: "fleet"))
    }

    @Test func aPassingRunsPageRendersWithALanePerTarget() async throws {
        let fixture = try RunFixture("""
            name: two VMs, one plug
            targets:
              src: {launch: \(RunFixture.qemu)}
              dst: {launch: \(RunFixture.qemu)}
            steps:
              - {execute: cont, target: src}
              - {wait-event: RESUME, target: src}
              - {name: plug the tablet, target: dst, execute: device_add, arguments: {driver: usb-tablet, id: tablet0, bus: xhci.0}}
              - {name: unplug it, id: unplug, target: dst, execute: device_del, arguments: {id: tablet0}}
              - {wait-event: DEVICE_DELETED, target: dst, match: {device: tablet0}, since: unplug}
              - log: both VMs answered
            """)
        let html = fixture.folder.file("run.html")
        let outcome = try await fixture.run(["--html", html])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let dom = try await Self.open(html, steps: 6, lanes: ["src", "dst", "run"])
        #expect(dom.contains("id=\"outcome\">passed<"))
        #expect(dom.contains("class=\"step status-passed\""))
        #expect(dom.contains("class=\"event taken\""), "the waits' events are ticks taken by a step")
        #expect(dom.contains(">DEVICE_DELETED<"))
        #expect(dom.contains("setup: opening targets and preflight"))
        #expect(!dom.contains("<details open"), "no failure to open")
        try Self.expectPNG(try await HeadlessBrowser.screenshot(ofFile: html, named: "passing"))
    }

    @Test func aFailingRunsPageOpensTheFailureAndShowsTheEventNoWaitTook() async throws {
        let fixture = try RunFixture("""
            name: USB tablet hot-plug (failing)
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: cont
              - wait-event: RESUME
              - {name: plug the tablet, execute: device_add, arguments: {driver: usb-tablet, id: tablet0, bus: xhci.0}}
              - {name: unplug it, id: unplug, execute: device_del, arguments: {id: tablet0}}
              - {name: unplug it again, execute: device_del, arguments: {id: tablet0}}
              - {wait-event: DEVICE_DELETED, match: {device: tablet0}, since: unplug}
            always:
              - execute: query-status
            """)
        let html = fixture.folder.file("run.html")
        let outcome = try await fixture.run(["--html", html])
        #expect(outcome.status == 1)
        let dom = try await Self.open(html, steps: 7, lanes: ["vm"])
        #expect(dom.contains("id=\"outcome\">failed<"))
        #expect(dom.contains("id=\"why\""))
        let failedRow = try #require(dom.firstRange(of: "id=\"step-4\""))
        let detail = dom[failedRow.upperBound...]
        #expect(detail.contains("<details open=\"\"><summary>why it failed</summary>") || detail.contains("<details open><summary>why it failed</summary>"))
        #expect(detail.contains("DeviceNotFound"))
        #expect(dom.contains("class=\"step status-failed\""))
        #expect(dom.contains("class=\"event not-taken\""), "DEVICE_DELETED arrived, but its wait never ran")
        #expect(dom.contains("<span class=\"not-taken\">no wait</span>"))
        try Self.expectPNG(try await HeadlessBrowser.screenshot(ofFile: html, named: "failing"))
    }

    @Test func aRunWhoseTargetNeverOpenedStillWritesItsPage() async throws {
        let fixture = try RunFixture("""
            name: never opened
            targets:
              vm: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S, -device, no-such-device]}
            steps:
              - execute: query-status
            """)
        let html = fixture.folder.file("run.html")
        let outcome = try await fixture.run(["--html", html])
        #expect(outcome.status == 3)
        let dom = try await Self.open(html, steps: 1, lanes: ["vm"])
        #expect(dom.contains("id=\"outcome\">error<"))
        #expect(dom.contains("setup setup-failed"))
        #expect(dom.contains("no-such-device"))
    }

    @Test func anInterruptedRunWritesItsPage() async throws {
        let fixture = try RunFixture("""
            name: interrupted
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
              - sleep: 30s
            """)
        let html = fixture.folder.file("run.html")
        let run = try BackgroundRun(fixture, ["--html", html])
        try await run.waitForStep(1)
        kill(run.pid, SIGTERM)
        #expect(await run.waitForExit() == 143)
        let dom = try await Self.open(html, steps: 2, lanes: ["vm"])
        #expect(dom.contains("id=\"outcome\">interrupted<"))
    }
}
