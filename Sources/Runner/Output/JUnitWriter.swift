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
        let cases = JUnitCase.setupCases(of: report) + JUnitCase.stepCases(of: report)
        let failures = cases.filter { $0.result.element == "failure" }.count
        let errors = cases.filter { $0.result.element == "error" }.count
        let skipped = cases.filter { $0.result.element == "skipped" }.count
        let seconds = format(report.duration)
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += "<testsuites name=\"qmpbook\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\""
            + " time=\"\(seconds)\">\n"
        xml += "  <testsuite name=\"\(escape(report.playbook.name))\" tests=\"\(cases.count)\" failures=\"\(failures)\""
            + " errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(seconds)\""
            + " timestamp=\"\(Timestamp.string(report.started))\" file=\"\(escape(report.playbook.path))\">\n"
        for testcase in cases {
            xml += testcase.xml
        }
        xml += "  </testsuite>\n</testsuites>\n"
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
