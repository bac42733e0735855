import Foundation
import FoundationXML
import Glibc
import Playbook
import QEMUTestSupport
import QMP
import Testing
@testable import Runner

/// JUnit XML as CI systems read it: unique names, file and line, errors for
/// a setup that failed, output, and validity against the Jenkins xUnit and
/// the common JUnit schemas (checked by Python's `xmlschema`).
@Suite(.timeLimit(.minutes(2))) struct JUnitWriterTests {
    /// A failed run whose steps share names, as unnamed steps do.
    static func repeatedNames() -> RunReport {
        var report = ReportTests.sampleReport()
        for index in report.steps.indices {
            report.steps[index].name = "execute query-status"
            report.steps[index].file = "Playbooks/usb.yaml"
            report.steps[index].line = 10 + 3 * index
        }
        report.steps[0].message = nil
        return report
    }

    /// A run whose only target could not be launched: every step skipped.
    static func targetNeverOpened() -> RunReport {
        var report = RunReport(playbook: .init(path: "book.yaml", name: "never", sha256: nil), started: Date())
        report.duration = .milliseconds(40)
        report.outcome = .error
        report.exitStatus = .infrastructure
        report.message = "target vm: QEMU exited with status 1 before its QMP socket appeared"
        var target = TargetReport(name: "vm", mode: .launch, address: nil)
        target.error = "QEMU exited with status 1 before its QMP socket appeared"
        target.process = .init(pid: 7, exit: .exited(1), stderrTail: "qemu-system-x86_64: -device nope: 'nope' is not a valid device model name")
        target.openedIn = .milliseconds(38)
        report.targets = [target]
        for index in 0..<3 {
            var step = StepReport(index: index, name: "step \(index)", target: "vm", action: .execute)
            step.message = "not run: target vm: QEMU exited with status 1"
            step.file = "book.yaml"
            step.line = 5 + index
            report.steps.append(step)
        }
        return report
    }

    static func document(_ report: RunReport) throws -> XMLDocument {
        try XMLDocument(data: Data(JUnitWriter.render(report).utf8))
    }

    static func testcases(_ report: RunReport) throws -> [XMLElement] {
        try document(report).nodes(forXPath: "//testcase").compactMap { $0 as? XMLElement }
    }

    @Test func testcaseNamesAreNumberedAndUniqueEvenWhenStepNamesRepeat() throws {
        let names = try Self.testcases(Self.repeatedNames()).compactMap { $0.attribute(forName: "name")?.stringValue }
        #expect(names == ["01. execute query-status", "02. execute query-status", "03. execute query-status",
                          "04. always: execute query-status"])
        #expect(Set(names).count == names.count)
    }

    @Test func numbersAreWideEnoughForEveryStep() throws {
        var report = RunReport(playbook: .init(path: "p.yaml", name: "many", sha256: nil), started: Date())
        report.steps = ReportSteps((0..<120).map { StepReport(index: $0, name: "s", target: "vm", action: .sleep, status: .passed) })
        let names = try Self.testcases(report).compactMap { $0.attribute(forName: "name")?.stringValue }
        #expect(names.first == "001. s")
        #expect(names.last == "120. s")
    }

    @Test func everyStepCarriesTheFileAndLineItIsWrittenAt() throws {
        let cases = try Self.testcases(Self.repeatedNames())
        #expect(cases.map { $0.attribute(forName: "file")?.stringValue } == Array(repeating: "Playbooks/usb.yaml", count: 4))
        #expect(cases.map { $0.attribute(forName: "line")?.stringValue } == ["10", "13", "16", "19"])
    }

    @Test func aTargetThatCouldNotBeOpenedIsAnErrorNotAnAllSkippedSuite() throws {
        let document = try Self.document(Self.targetNeverOpened())
        let errors = try document.nodes(forXPath: "//testcase/error").compactMap { $0 as? XMLElement }
        #expect(errors.count == 1)
        let testcase = try #require(errors.first?.parent as? XMLElement)
        #expect(testcase.attribute(forName: "name")?.stringValue == "setup: target vm")
        #expect(testcase.attribute(forName: "time")?.stringValue == "0.038")
        #expect(errors.first?.attribute(forName: "message")?.stringValue?.contains("before its QMP socket appeared") == true)
        let output = try document.nodes(forXPath: "//testcase[@name='setup: target vm']/system-out").first?.stringValue
        #expect(output?.contains("'nope' is not a valid device model name") == true)
        let suite = try #require(try document.nodes(forXPath: "/testsuites/testsuite").first as? XMLElement)
        #expect(suite.attribute(forName: "errors")?.stringValue == "1")
        #expect(suite.attribute(forName: "tests")?.stringValue == "4")
        #expect(suite.attribute(forName: "skipped")?.stringValue == "3")
    }

    @Test func aPreflightFailureIsAnErrorListingEveryProblem() throws {
        var report = Self.targetNeverOpened()
        report.targets[0].error = nil
        report.targets[0].qemu = .init(major: 7, minor: 2, micro: 22, package: "")
        report.exitStatus = .invalidInput
        report.message = "the preflight found 2 problems in the playbook; nothing was run"
        report.preflightDuration = .milliseconds(12)
        report.preflightProblems = [
            PreflightProblem(
                location: SourceLocation(file: "book.yaml", line: 6, column: 7), target: "vm", path: ["arguments", "id"],
                message: "missing"),
            PreflightProblem(
                location: SourceLocation(file: "book.yaml", line: 9, column: 14), target: "vm", path: .execute,
                message: "unknown command 'query-stauts'; did you mean 'query-status'?", hint: "did you mean 'query-status'?"),
        ]
        let document = try Self.document(report)
        let error = try #require(try document.nodes(forXPath: "//testcase[@name='setup: preflight']/error").first as? XMLElement)
        #expect(error.attribute(forName: "type")?.stringValue == "preflight")
        #expect(error.stringValue?.contains("book.yaml:6:7: target vm: arguments.id: missing") == true)
        #expect(error.stringValue?.contains("book.yaml:9:14: target vm: execute: unknown command 'query-stauts'") == true)
        let testcase = try #require(error.parent as? XMLElement)
        #expect(testcase.attribute(forName: "line")?.stringValue == "6")
        #expect(try document.nodes(forXPath: "//testcase/error").count == 1)
    }

    @Test func aRunInterruptedBeforeItsStepsIsAnError() throws {
        var report = Self.targetNeverOpened()
        report.targets = []
        report.outcome = .interrupted
        report.exitStatus = .interrupted(signal: SIGINT)
        report.message = "interrupted by SIGINT"
        let document = try Self.document(report)
        let error = try #require(try document.nodes(forXPath: "//testcase[@name='setup']/error").first as? XMLElement)
        #expect(error.attribute(forName: "message")?.stringValue == "interrupted by SIGINT")
        #expect(error.attribute(forName: "type")?.stringValue == "interrupted")
    }

    @Test func aPassingRunHasNoSetupCase() throws {
        var report = ReportTests.sampleReport()
        report.steps = [report.steps[0]]
        report.outcome = .passed
        report.message = nil
        let names = try Self.testcases(report).compactMap { $0.attribute(forName: "name")?.stringValue }
        #expect(names == ["01. plug"])
    }

    @Test func messagesAndLoggedTextGoToSystemOut() throws {
        var report = ReportTests.sampleReport()
        var log = StepReport(index: 4, name: "note", target: nil, action: .log, status: .passed)
        log.response = "migration took 3 passes"
        report.steps.append(log)
        let document = try Self.document(report)
        let waited = try document.nodes(forXPath: "//testcase[@name='02. wait']/system-out").first?.stringValue
        #expect(waited == "no DEVICE_DELETED within 5s; meanwhile: RESUME")
        let logged = try document.nodes(forXPath: "//testcase[@name='05. note']/system-out").first?.stringValue
        #expect(logged == "migration took 3 passes")
        #expect(try document.nodes(forXPath: "//testcase[@name='01. plug']/system-out").isEmpty)
    }

    @Test func theSuitesElementHasNoSkippedCount() throws {
        let root = try #require(try Self.document(ReportTests.sampleReport()).rootElement())
        #expect(root.name == "testsuites")
        #expect(root.attribute(forName: "skipped") == nil)
        #expect(root.attribute(forName: "tests")?.stringValue == "4")
    }

    /// Text that needs nothing is returned as it is; anything else is copied
    /// with its references in, also when only a lead byte 0xEF made it look,
    /// and U+FFFE and U+FFFF are dropped wherever they are.
    @Test(arguments: [
        ("plain name 1.5 ms: ok", false, "plain name 1.5 ms: ok"),
        ("a<b & 'c' > \"d\"", false, "a&lt;b &amp; &apos;c&apos; &gt; &quot;d&quot;"),
        ("line\nbreak\ttab", false, "line\nbreak\ttab"),
        ("line\nbreak\ttab", true, "line&#10;break&#9;tab"),
        ("cr\r\u{1}bell\u{7F}", false, "cr&#13;bell\u{7F}"),
        ("é\u{FFFE}ü\u{FFFF}", false, "éü"),
        ("\u{F000}\u{FFFD}", true, "\u{F000}\u{FFFD}"),
        ("\u{FFFF}", false, ""),
        ("a\u{FFFE}", true, "a"),
        ("\u{FEFF}x&", false, "\u{FEFF}x&amp;"),
        ("{\n  \"a\": [1, \"<b>\"]\n}", false, "{\n  &quot;a&quot;: [1, &quot;&lt;b&gt;&quot;]\n}"),
    ])
    func markupIsEscapedAndXMLsForbiddenCharactersDropped(text: String, inAttribute: Bool, escaped: String) {
        #expect(MarkupText.escape(text, inAttribute: inAttribute) == escaped)
    }

    @Test func timesHaveThreeDecimalsAndNoExponent() {
        #expect(JUnitWriter.format(.microseconds(7)) == "0.000")
        #expect(JUnitWriter.format(.microseconds(1300)) == "0.001")
        #expect(JUnitWriter.format(.milliseconds(61_042)) == "61.042")
        #expect(JUnitWriter.format(nil) == "0.000")
    }

    @Test(arguments: ["sample", "repeated names", "target never opened", "preflight", "interrupted"])
    func everyKindOfRunIsValidAgainstBothSchemas(_ kind: String) async throws {
        var report: RunReport
        switch kind {
        case "sample": report = ReportTests.sampleReport()
        case "repeated names": report = Self.repeatedNames()
        case "target never opened": report = Self.targetNeverOpened()
        case "preflight":
            report = Self.targetNeverOpened()
            report.targets[0].error = nil
            report.preflightProblems = [PreflightProblem(
                location: SourceLocation(file: "b.yaml", line: 2, column: 3), target: "vm", path: ["x"],
                message: "<unknown> & \"odd\"")]
        default:
            report = Self.targetNeverOpened()
            report.targets = []
            report.outcome = .interrupted
        }
        report.steps.append(StepReport(index: report.steps.count, name: "ctl \u{1}chars\ttab", target: "vm", action: .log, status: .ignored))
        let problems = try await JUnitSchemas.problems(of: JUnitWriter.render(report))
        #expect(problems.isEmpty, "\(kind): \(problems)")
    }

    @Test func theSchemasRejectASkippedCountOnTheSuitesElement() async throws {
        // The schemas are strict enough to catch what CI systems refuse: the old output had this attribute.
        let xml = JUnitWriter.render(ReportTests.sampleReport())
            .replacingOccurrences(of: "<testsuites name=\"qmpbook\"", with: "<testsuites name=\"qmpbook\" skipped=\"1\"")
        let problems = try await JUnitSchemas.problems(of: xml, against: [JUnitSchemas.jenkins])
        #expect(problems.contains { $0.contains("skipped") }, "\(problems)")
        let twoResults = JUnitWriter.render(ReportTests.sampleReport())
            .replacingOccurrences(of: "</failure>", with: "</failure><error type=\"x\"/>")
        #expect(!(try await JUnitSchemas.problems(of: twoResults, against: [JUnitSchemas.common])).isEmpty)
    }
}
