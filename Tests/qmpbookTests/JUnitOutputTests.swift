import Foundation
import FoundationXML
import QEMUTestSupport
import QMP
import Testing

/// `qmpbook run --junit` against real QEMUs: the files CI systems read, valid
/// against the Jenkins xUnit and common JUnit schemas in every outcome, and the
/// setup's timings in the report.
@Suite(.timeLimit(.minutes(3))) struct JUnitOutputTests {
    static func testcases(_ xml: String) throws -> [XMLElement] {
        try XMLDocument(data: Data(xml.utf8)).nodes(forXPath: "//testcase").compactMap { $0 as? XMLElement }
    }

    @Test func aFailingRunWithUnnamedStepsIsValidAndNamesEveryStepOnce() async throws {
        let fixture = try RunFixture("""
            name: junit
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
              - execute: query-status
              - {name: boom, execute: device_del, arguments: {id: nothing-here}}
              - log: never
            always:
              - execute: query-status
            """)
        let junit = fixture.folder.file("junit.xml")
        let outcome = try await fixture.run(["--junit", junit])
        #expect(outcome.status == 1)
        let cases = try Self.testcases(try fixture.read("junit.xml"))
        let names = cases.compactMap { $0.attribute(forName: "name")?.stringValue }
        #expect(names == ["01. query-status", "02. query-status", "03. boom", "04. log",
                          "05. always: query-status"], "\(names)")
        #expect(cases.map { $0.attribute(forName: "line")?.stringValue } == ["5", "6", "7", "8", "10"])
        #expect(cases.allSatisfy { $0.attribute(forName: "file")?.stringValue == fixture.playbook })
        let problems = try await JUnitSchemas.problems(ofFile: junit)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func aTargetThatCannotBeLaunchedIsAJUnitErrorWithQEMUsOutput() async throws {
        let fixture = try RunFixture("""
            name: never started
            targets:
              vm: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S, -device, no-such-device]}
            steps:
              - execute: query-status
              - execute: cont
            """)
        let junit = fixture.folder.file("junit.xml")
        let outcome = try await fixture.run(["--junit", junit])
        #expect(outcome.status == 3)
        let xml = try fixture.read("junit.xml")
        let document = try XMLDocument(data: Data(xml.utf8))
        let error = try #require(try document.nodes(forXPath: "//testcase[@name='setup: target vm']/error").first as? XMLElement)
        #expect(error.attribute(forName: "type")?.stringValue == "target")
        let output = try document.nodes(forXPath: "//testcase[@name='setup: target vm']/system-out").first?.stringValue ?? ""
        #expect(output.contains("no-such-device"), "\(output)")
        #expect(try document.nodes(forXPath: "//testcase/skipped").count == 2)
        let suite = try #require(try document.nodes(forXPath: "//testsuite").first as? XMLElement)
        #expect(suite.attribute(forName: "errors")?.stringValue == "1")
        let opened = try #require(outcome.report["targets"]?[0]?["opened_ms"]?.doubleValue)
        #expect(opened > 0)
        #expect(outcome.report["preflight_ms"] == .null)
        let problems = try await JUnitSchemas.problems(ofFile: junit)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func aPreflightFailureIsAJUnitErrorAndTheReportListsTheProblems() async throws {
        let fixture = try RunFixture("""
            name: preflight fails
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-stauts
              - execute: query-status
                arguments: {verbose: true}
            """)
        let junit = fixture.folder.file("junit.xml")
        let outcome = try await fixture.run(["--junit", junit])
        #expect(outcome.status == 2)
        let listed = outcome.report["preflight_problems"]?.arrayValue ?? []
        #expect(listed.count == 2)
        #expect(listed.first?["line"] == 5)
        #expect(listed.first?["file"]?.stringValue == fixture.playbook)
        #expect(listed.first?["hint"]?.stringValue == "did you mean 'query-status'?", "\(listed)")
        #expect((outcome.report["preflight_ms"]?.doubleValue ?? 0) > 0)
        let document = try XMLDocument(data: Data(try fixture.read("junit.xml").utf8))
        let error = try #require(try document.nodes(forXPath: "//testcase[@name='setup: preflight']/error").first as? XMLElement)
        #expect(error.stringValue?.contains("\(fixture.playbook):5:") == true, "\(error.stringValue ?? "")")
        #expect(error.stringValue?.contains("verbose") == true)
        let problems = try await JUnitSchemas.problems(ofFile: junit)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func theReportAndTheProgressLineRecordHowLongSetupTook() async throws {
        let fixture = try RunFixture("""
            name: timings
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let opened = try #require(outcome.report["targets"]?[0]?["opened_ms"]?.doubleValue)
        let preflight = try #require(outcome.report["preflight_ms"]?.doubleValue)
        let total = try #require(outcome.report["duration_ms"]?.doubleValue)
        #expect(opened > 0 && preflight > 0 && opened + preflight < total)
        #expect(outcome.report["preflight_problems"] == [])
        let targetLine = outcome.standardOutput.split(separator: "\n").first { $0.hasPrefix("vm: QEMU ") } ?? ""
        #expect(targetLine.contains(/\(launch, pid \d+\) in \d+(\.\d+)?(µs|ms|s)$/), "\(outcome.standardOutput)")
        #expect(outcome.standardOutput.contains(/\npreflight passed in \d+(\.\d+)?(µs|ms|s)\n/), "\(outcome.standardOutput)")
    }
}
