import Foundation
import QEMUTestSupport
import QMP
import Testing

/// `--report-events N|all`: the report lists at most N events; past it the
/// oldest events no step took are left out (never one a step took), and
/// `events_left_out` says how many.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ReportEventsTests {
    /// RESUME (taken by the wait), STOP, RESUME, and the SHUTDOWN of the run's own quit: four events, the first taken.
    static let playbook = """
        name: events
        targets:
          vm: {launch: \(RunFixture.qemu)}
        steps:
          - {id: first, execute: cont}
          - {wait-event: RESUME, since: first}
          - execute: stop
          - execute: cont
          - {execute: query-status, until: {status: running}, interval: 50ms, timeout: 5s}
        """

    static func events(_ report: JSONValue) -> [String] {
        (report["events"]?.arrayValue ?? []).compactMap { event in
            guard let name = event["event"]?.stringValue else { return nil }
            return name + (event["taken_by"] == .null ? "" : "*")
        }
    }

    @Test func theCapLeavesOutTheOldestUntakenEventsFirst() async throws {
        let fixture = try RunFixture(Self.playbook)
        let all = try await fixture.run(["--report-events", "all"])
        #expect(all.status == 0, "\(all.standardError)")
        #expect(Self.events(all.report) == ["RESUME*", "STOP", "RESUME", "SHUTDOWN"])
        #expect(all.report["events_left_out"] == 0)

        let two = try await fixture.run(["--report-events", "2"])
        #expect(two.status == 0, "\(two.standardError)")
        #expect(Self.events(two.report) == ["RESUME*", "SHUTDOWN"])
        #expect(two.report["events_left_out"] == 2)

        let none = try await fixture.run(["--report-events", "0"])
        #expect(Self.events(none.report) == ["RESUME*"], "an event a step took is never left out")
        #expect(none.report["events_left_out"] == 3)
    }

    @Test func theDefaultKeepsTenThousand() async throws {
        let fixture = try RunFixture(Self.playbook)
        let outcome = try await fixture.run()
        #expect(Self.events(outcome.report) == ["RESUME*", "STOP", "RESUME", "SHUTDOWN"])
        #expect(outcome.report["events_left_out"] == 0)
    }

    @Test(arguments: ["many", "ten", "1.5", ""])
    func aBadValueIsABadInvocation(value: String) async throws {
        let fixture = try RunFixture(Self.playbook)
        let output = try await runProgram(
            try Executables.qmpbook, ["run", fixture.playbook, "--report", fixture.reportPath, "--report-events", value])
        #expect(output.status == 2)
        #expect(output.standardError.contains("--report-events '\(value)': give a number of events (0 or more) or 'all'"),
                "\(output.standardError)")
    }
}
