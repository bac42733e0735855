import QMP

/// Renders a ``RunReport`` as JUnit XML: one testsuite for the playbook, one
/// testcase per step.
///
/// `classname` is the playbook name, a dot, and the step's target. Failed and
/// timed-out steps carry a `<failure>`, steps that hit an infrastructure
/// error an `<error>`, both with the step's message as `message` and as the
/// body (followed by the request and response). Skipped steps, and failures
/// the playbook ignores, are `<skipped>`.
public enum JUnitWriter {
    public static func render(_ report: RunReport) -> String {
        let summary = report.summary
        let seconds = report.duration.map { Timestamp.milliseconds($0) / 1000 } ?? 0
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += "<testsuites name=\"qmpbook\" tests=\"\(summary.total)\" failures=\"\(summary.failed + summary.timeout)\""
            + " errors=\"\(summary.error)\" skipped=\"\(summary.skipped + summary.ignored)\" time=\"\(format(seconds))\">\n"
        xml += "  <testsuite name=\"\(escape(report.playbook.name))\" tests=\"\(summary.total)\""
            + " failures=\"\(summary.failed + summary.timeout)\" errors=\"\(summary.error)\""
            + " skipped=\"\(summary.skipped + summary.ignored)\" time=\"\(format(seconds))\""
            + " timestamp=\"\(Timestamp.string(report.started))\" file=\"\(escape(report.playbook.path))\">\n"
        for step in report.steps {
            let classname = report.playbook.name + "." + (step.target ?? "-")
            let name = step.phase == .always ? "always: \(step.name)" : step.name
            let time = step.duration.map { Timestamp.milliseconds($0) / 1000 } ?? 0
            xml += "    <testcase name=\"\(escape(name))\" classname=\"\(escape(classname))\" time=\"\(format(time))\""
            let message = step.message ?? step.status.rawValue
            switch step.status {
            case .passed:
                xml += "/>\n"
            case .failed, .timeout, .error:
                let element = step.status == .error ? "error" : "failure"
                var body = message
                if let request = step.request { body += "\nrequest: \(request.jsonText)" }
                if let response = step.response { body += "\nresponse: \(response.jsonText)" }
                xml += ">\n      <\(element) message=\"\(escape(message))\" type=\"\(step.status.rawValue)\">"
                    + "\(escape(body))</\(element)>\n    </testcase>\n"
            case .skipped, .ignored:
                let text = step.status == .ignored ? "failure ignored: \(message)" : message
                xml += ">\n      <skipped message=\"\(escape(text))\"/>\n    </testcase>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    private static func format(_ seconds: Double) -> String {
        String((seconds * 1000).rounded() / 1000)
    }

    /// Escapes text for an XML attribute or element; drops characters XML 1.0 cannot hold.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            case "\r": out += "&#13;"
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
