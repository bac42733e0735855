import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

/// A folder with a playbook and an inventory, and `qmpbook run --inventory` pointed at them.
final class FleetFixture: Sendable {
    let folder: TemporaryDirectory
    let playbook: String
    let inventory: String

    /// The small QEMU of fleet tests: no machine, no devices, paused, 16 MiB.
    static let qemu = "[qemu-system-x86_64, -M, none, -nodefaults, -display, none, -S, -m, \"16\"]"

    init(playbook yaml: String, inventory: String) throws {
        folder = try TemporaryDirectory(prefix: "fleet")
        playbook = folder.file("book.yaml")
        self.inventory = folder.file("lab.yaml")
        try yaml.write(toFile: playbook, atomically: false, encoding: .utf8)
        try inventory.write(toFile: self.inventory, atomically: false, encoding: .utf8)
    }

    var fleetReportPath: String { folder.file("fleet.json") }
    var reportDirectory: String { folder.file("reports") }

    /// `qmpbook run PLAYBOOK --inventory INVENTORY --report FOLDER/fleet.json --report-dir FOLDER/reports ARGUMENTS`.
    func arguments(_ extra: [String]) -> [String] {
        ["run", playbook, "--inventory", inventory, "--report", fleetReportPath, "--report-dir", reportDirectory] + extra
    }

    func run(_ extra: [String] = [], timeout: Duration = .seconds(120)) async throws -> ProgramOutput {
        try await runProgram(
            try Executables.qmpbook, arguments(extra), environment: ["TMPDIR": folder.path], timeout: timeout)
    }

    func read(_ path: String) throws -> JSONValue {
        try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    var fleetReport: JSONValue { get throws { try read(fleetReportPath) } }

    func memberReport(_ name: String) throws -> JSONValue {
        try read(reportDirectory + "/" + name + ".report.json")
    }

    /// The JSON lines of `--jsonl FOLDER/fleet.jsonl`.
    func lines() throws -> [JSONValue] {
        let text = try String(contentsOfFile: folder.file("fleet.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
    }
}

extension JSONValue {
    /// The fleet report's entry of member `name`.
    func member(_ name: String) -> JSONValue? {
        self["members"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    var memberNames: [String] {
        (self["members"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }
}

/// `qmpbook run --inventory` end to end, through the built binary against real QEMUs (SPEC.md §11).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct FleetTests {
    static let playbook = """
        name: fleet check
        vars:
          want: prelaunch
        targets:
          vm: {launch: \(FleetFixture.qemu)}
        steps:
          - name: status
            execute: query-status
            expect: {return: {status: "${want}"}}
          - name: who
            log: "member ${member.name}"
          - name: version
            execute: query-version
        """

    @Test func twentyLaunchedMembersAtParallelFourAllPass() async throws {
        let fixture = try FleetFixture(playbook: Self.playbook, inventory: """
            members:
              ci-*:
                count: 20
            """)
        let output = try await fixture.run([
            "--parallel", "4", "--junit", fixture.folder.file("fleet.xml"), "--jsonl", fixture.folder.file("fleet.jsonl"),
        ])
        #expect(output.status == 0, "\(output.standardError)")
        let report = try fixture.fleetReport
        #expect(report["format"] == "qmpbook-fleet-report/1")
        #expect(report["playbook"]?["name"] == "fleet check")
        #expect(report.memberNames == (1...20).map { "ci-\($0)" })
        #expect(report["summary"] == ["total": 20, "passed": 20, "failed": 0, "error": 0, "interrupted": 0])
        for key in ["started", "finished", "duration_ms"] { #expect(report[key] != nil && report[key] != .null) }
        var pids: Set<Int64> = []
        for number in 1...20 {
            let name = "ci-\(number)"
            let entry = try #require(report.member(name))
            #expect(entry["outcome"] == "passed")
            #expect(entry["exit_code"] == 0)
            #expect(entry["message"] == .null)
            #expect(entry["report"]?.stringValue == fixture.reportDirectory + "/\(name).report.json")
            let member = try fixture.memberReport(name)
            #expect(member["format"] == "qmpbook-report/1")
            #expect(member["outcome"] == "passed")
            #expect(member.step("who")?["response"]?.stringValue == "member \(name)")
            #expect(member["summary"]?["passed"] == 3)
            #expect(abs((member["duration_ms"]?.doubleValue ?? 0) - (entry["duration_ms"]?.doubleValue ?? -1)) < 0.01)
            if let pid = member.target("vm")?["process"]?["pid"]?.intValue { pids.insert(pid) }
        }
        #expect(pids.count == 20, "every member launched a QEMU of its own")
        for pid in pids { #expect(!processExists(Int32(pid))) }

        // At most 4 ran at once, every member's lines carry its name, and the fleet report ends the stream.
        let lines = try fixture.lines()
        var running = 0
        var most = 0
        for line in lines {
            switch line["type"]?.stringValue {
            case "member-started": running += 1
            case "member-finished": running -= 1
            default: break
            }
            most = max(most, running)
        }
        #expect(most == 4)
        #expect(lines.filter { $0["type"] == "member-finished" }.count == 20)
        let stepLines = lines.filter { $0["type"] == "step-finished" }
        #expect(stepLines.count == 60)
        #expect(Set(stepLines.compactMap { $0["member"]?.stringValue }).count == 20)
        #expect(lines.last?["type"] == "fleet-report")
        #expect(lines.last?["report"]?["summary"]?["passed"] == 20)

        let junit = try String(contentsOfFile: fixture.folder.file("fleet.xml"), encoding: .utf8)
        #expect(junit.components(separatedBy: "<testsuite ").count - 1 == 20)
        #expect(junit.contains("<testsuite name=\"ci-7\""))
        #expect(junit.contains("<testsuites name=\"qmpbook\" tests=\"60\" failures=\"0\" errors=\"0\""))
        // Progress: one line per member, then the summary.
        let progress = output.standardOutput.split(separator: "\n")
        #expect(progress.filter { $0.hasPrefix("passed") }.count == 20)
        #expect(progress.last?.hasPrefix("fleet: 20 members in ") == true)
        #expect(progress.last?.hasSuffix(": 20 passed, 0 failed, 0 error, 0 interrupted") == true)
    }

    @Test func threeMembersFailInDifferentWaysAndTheOthersPass() async throws {
        let fixture = try FleetFixture(playbook: """
            name: fleet faults
            vars:
              want: prelaunch
              after: "true"
            targets:
              vm:
                launch: [qemu-system-x86_64, -M, none, -nodefaults, -display, none, -S, -m, "16", -pidfile, "${run.dir}/vm.pid"]
            steps:
              - name: status
                execute: query-status
                expect: {return: {status: "${want}"}}
              - name: meddle
                command: [sh, -c, "${after}", sh, "${run.dir}/vm.pid"]
              - name: again
                execute: query-status
            """, inventory: """
            members:
              good-*: {count: 3}
              wrong-status:
                vars: {want: running}
              killed:
                vars: {after: 'kill -9 "$(cat "$1")"'}
              unreachable:
                targets: {vm: {connect: "unix:/nonexistent/fleet.qmp", timeout: 1s}}
            """)
        let output = try await fixture.run(["--parallel", "3"])
        #expect(output.status == 3, "the most severe of 1 and 3: \(output.standardError)")
        let report = try fixture.fleetReport
        #expect(report["summary"] == ["total": 6, "passed": 3, "failed": 1, "error": 2, "interrupted": 0])
        for name in ["good-1", "good-2", "good-3"] {
            #expect(report.member(name)?["outcome"] == "passed")
            #expect(try fixture.memberReport(name).statuses == ["passed", "passed", "passed"])
        }
        let wrong = try #require(report.member("wrong-status"))
        #expect(wrong["outcome"] == "failed")
        #expect(wrong["exit_code"] == 1)
        #expect(wrong["message"]?.stringValue?.hasPrefix("step 'status' on vm (") == true, "\(wrong)")
        #expect(wrong["message"]?.stringValue?.hasSuffix("expected \"running\" but found \"prelaunch\"") == true, "\(wrong)")
        #expect(try fixture.memberReport("wrong-status").statuses == ["failed", "skipped", "skipped"])

        let killed = try #require(report.member("killed"))
        #expect(killed["outcome"] == "error")
        #expect(killed["exit_code"] == 3)
        let killedReport = try fixture.memberReport("killed")
        #expect(killedReport.statuses == ["passed", "passed", "error"])
        #expect(killedReport.target("vm")?["process"]?["exit_status"]?["signal"] != nil || killed["message"]?.stringValue?.contains("SIGKILL") == true, "\(killed)")

        let unreachable = try #require(report.member("unreachable"))
        #expect(unreachable["outcome"] == "error")
        #expect(unreachable["exit_code"] == 3)
        #expect(unreachable["message"]?.stringValue?.contains("unix:/nonexistent/fleet.qmp") == true)
        #expect(try fixture.memberReport("unreachable")["outcome"] == "error")

        // Failures get their reason and the step that failed; passes one line.
        let text = output.standardOutput
        #expect(text.contains("FAILED       wrong-status"))
        #expect(text.contains("ERROR        killed"))
        #expect(text.contains("ERROR        unreachable"))
        #expect(text.contains("\n               FAILED  status  vm"))
        #expect(text.contains("fleet: 6 members in "))
        #expect(text.contains(": 3 passed, 1 failed, 2 error, 0 interrupted"))
    }

    @Test func limitRunsOnlyTheMatchingMembers() async throws {
        let fixture = try FleetFixture(playbook: Self.playbook, inventory: """
            members:
              web-*: {count: 3}
              db-01: {}
              db-02: {}
            """)
        let output = try await fixture.run(["--limit", "db-*", "--limit", "web-[2-3]"])
        #expect(output.status == 0, "\(output.standardError)")
        let report = try fixture.fleetReport
        #expect(report.memberNames == ["web-2", "web-3", "db-01", "db-02"])
        #expect(!FileManager.default.fileExists(atPath: fixture.reportDirectory + "/web-1.report.json"))

        let none = try await fixture.run(["--limit", "mail-*"])
        #expect(none.status == 2)
        #expect(none.standardError.contains("qmpbook: --limit 'mail-*': no member matches (the members: web-1, web-2, web-3, db-01, db-02)"))
    }

    @Test func aTemplateWithCountMakesNumberedMembersWithItsVars() async throws {
        let fixture = try FleetFixture(playbook: """
            name: templates
            vars:
              role: none
            targets:
              vm: {launch: \(FleetFixture.qemu)}
            steps:
              - name: who
                log: "${member.name} is ${role}"
            """, inventory: """
            members:
              lead: {vars: {role: lead}}
              node-*:
                count: 3
                vars: {role: node}
            """)
        let output = try await fixture.run(["--var", "unused=1"])
        #expect(output.status == 0, "\(output.standardError)")
        let report = try fixture.fleetReport
        #expect(report.memberNames == ["lead", "node-1", "node-2", "node-3"])
        #expect(try fixture.memberReport("lead").step("who")?["response"] == "lead is lead")
        #expect(try fixture.memberReport("node-2").step("who")?["response"] == "node-2 is node")
    }

    @Test func sigtermInterruptsEveryRunningMember() async throws {
        let fixture = try FleetFixture(playbook: """
            name: long fleet
            targets:
              vm: {launch: \(FleetFixture.qemu)}
            steps:
              - name: status
                execute: query-status
              - name: wait for nothing
                wait-event: SHUTDOWN
                timeout: 60s
            always:
              - name: look
                execute: query-status
            """, inventory: """
            members:
              m-*: {count: 6}
            """)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Executables.qmpbook)
        process.arguments = fixture.arguments(["--parallel", "2", "--jsonl", fixture.folder.file("fleet.jsonl")])
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": fixture.folder.path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        // Both running members are in their wait.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let waiting = ((try? fixture.lines()) ?? []).filter { $0["type"] == "step-started" && $0["index"] == 1 }
            if waiting.count == 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let qemus = childProcesses(of: pid)
        #expect(qemus.count == 2)
        kill(pid, SIGTERM)
        #expect(await exitStatus(of: process, killingAfter: .seconds(60)) == 143)
        for qemu in qemus { #expect(!processExists(qemu), "QEMU \(qemu) was left running") }

        let report = try fixture.fleetReport
        #expect(report["summary"]?["total"] == 6)
        #expect(report["summary"]?["interrupted"] == 6)
        var withReports = 0
        for entry in report["members"]?.arrayValue ?? [] {
            #expect(entry["outcome"] == "interrupted")
            #expect(entry["exit_code"] == 143)
            if let path = entry["report"]?.stringValue {
                withReports += 1
                let member = try fixture.read(path)
                #expect(member["outcome"] == "interrupted")
                #expect(member["message"] == "interrupted by SIGTERM")
                #expect(member.step("look")?["status"] == "passed")
                for launched in member.launchedPIDs { #expect(!processExists(launched)) }
            } else {
                #expect(entry["message"] == "not started: the fleet was interrupted by SIGTERM")
            }
        }
        #expect(withReports == 2)
        #expect(try fixture.lines().last?["type"] == "fleet-report")
    }
}
