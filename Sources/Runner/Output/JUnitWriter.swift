import QMP

/// Renders a ``RunReport`` as JUnit XML for CI systems: one testsuite for the
/// playbook, one testcase per step, and an `<error>` testcase for a setup
/// that failed (a target that could not be opened, a preflight that found
/// problems, a run interrupted before its steps), so a run that never started
/// is never an all-skipped green suite.
///
/// ```xml
/// <testcase name="03. unplug it" classname="USB tablet hot-plug.vm" time="0.004" file="Playbooks/usb-hotplug.yaml" line="17">
///   <failure message="…" type="failed">…the message, the request, the response…</failure>
///   <system-out>…the message…</system-out>
/// </testcase>
/// ```
///
/// Names are unique (`NN. NAME`, numbered in playbook order; GitLab keeps
/// only the first of testcases with the same name), every step's testcase
/// has the `file` and `line` where the step is written, and messages go to
/// `<system-out>`. The XML is valid against the Jenkins xUnit JUnit schema
/// and the common JUnit format: `testsuites` has no `skipped` attribute.
public enum JUnitWriter {
    public static func render(_ report: RunReport) -> String {
        document([suite(of: report)], time: report.duration)
    }

    /// One `<testsuite>`, rendered, with its counts: what a document of several suites (a fleet's) is made of.
    public struct Suite: Sendable {
        public var xml: String
        public var tests: Int
        public var failures: Int
        public var errors: Int
    }

    /// The testsuite of one run, named `name` (default: the playbook's name).
    public static func suite(of report: RunReport, name: String? = nil) -> Suite {
        let cases = JUnitCase.setupCases(of: report) + JUnitCase.stepCases(of: report)
        let failures = cases.filter { $0.result.element == "failure" }.count
        let errors = cases.filter { $0.result.element == "error" }.count
        let skipped = cases.filter { $0.result.element == "skipped" }.count
        var xml = "  <testsuite name=\"\(escape(name ?? report.playbook.name))\" tests=\"\(cases.count)\" failures=\"\(failures)\""
            + " errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(format(report.duration))\""
            + " timestamp=\"\(Timestamp.string(report.started))\" file=\"\(escape(report.playbook.path))\">\n"
        for testcase in cases {
            xml += testcase.xml
        }
        xml += "  </testsuite>\n"
        return Suite(xml: xml, tests: cases.count, failures: failures, errors: errors)
    }

    /// The whole XML document of these suites, `time` the whole run's.
    public static func document(_ suites: [Suite], time: Duration?) -> String {
        let tests = suites.reduce(0) { $0 + $1.tests }
        let failures = suites.reduce(0) { $0 + $1.failures }
        let errors = suites.reduce(0) { $0 + $1.errors }
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += "<testsuites name=\"qmpbook\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\""
            + " time=\"\(format(time))\">\n"
        for suite in suites { xml += suite.xml }
        xml += "</testsuites>\n"
        return xml
    }

    /// Seconds with three decimals (`0.004`), never an exponent.
    static func format(_ duration: Duration?) -> String {
        let milliseconds = Int((duration.map(Timestamp.milliseconds) ?? 0).rounded())
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// Escapes text for an XML attribute; drops characters XML 1.0 cannot hold.
    static func escape(_ text: String) -> String {
        MarkupText.escape(text, inAttribute: true)
    }

    /// Escapes text for an element's content: line breaks stay as they are.
    static func escapeContent(_ text: String) -> String {
        MarkupText.escape(text)
    }
}
