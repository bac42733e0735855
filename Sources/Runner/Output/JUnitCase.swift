import Playbook
import QMP

/// One `<testcase>` of the JUnit file: a step, or a setup that failed.
struct JUnitCase {
    enum Result {
        case passed
        case failure(type: String, message: String, body: String)
        case error(type: String, message: String, body: String)
        case skipped(message: String)

        /// The child element that says the result, or nil for a pass.
        var element: String? {
            switch self {
            case .passed: nil
            case .failure: "failure"
            case .error: "error"
            case .skipped: "skipped"
            }
        }
    }

    var name: String
    var classname: String
    var time: Duration?
    var file: String?
    var line: Int?
    var result: Result
    /// What the case printed: its message, a `log` step's text, QEMU's last output.
    var output: String?

    /// The testcase element, indented for the suite.
    var xml: String {
        var xml = "    <testcase name=\"\(JUnitWriter.escape(name))\" classname=\"\(JUnitWriter.escape(classname))\""
            + " time=\"\(JUnitWriter.format(time))\""
        if let file { xml += " file=\"\(JUnitWriter.escape(file))\"" }
        if let line { xml += " line=\"\(line)\"" }
        var children = ""
        switch result {
        case .passed:
            break
        case .failure(let type, let message, let body), .error(let type, let message, let body):
            let element = result.element ?? "failure"
            children += "      <\(element) message=\"\(JUnitWriter.escape(message))\" type=\"\(JUnitWriter.escape(type))\">"
                + "\(JUnitWriter.escapeContent(body))</\(element)>\n"
        case .skipped(let message):
            children += "      <skipped message=\"\(JUnitWriter.escape(message))\"/>\n"
        }
        if let output, !output.isEmpty {
            children += "      <system-out>\(JUnitWriter.escapeContent(output))</system-out>\n"
        }
        return children.isEmpty ? xml + "/>\n" : xml + ">\n" + children + "    </testcase>\n"
    }

    /// A testcase per step, named `NN. NAME` (`NN. always: NAME` in the always phase).
    static func stepCases(of report: RunReport) -> [JUnitCase] {
        let width = max(2, String(report.steps.count).count)
        // The steps that act: a block's, include's or loop's own entry is not a testcase, its steps are.
        let acting = report.steps.indices.filter { !report.steps.holdsSteps(at: $0) }
        return acting.map { position in
            let step = report.steps[position]
            let number = String(step.index + 1)
            let prefix = String(repeating: "0", count: max(0, width - number.count)) + number + ". "
            let name = prefix + (step.phase == .always ? "always: " : "") + step.name
            let target = step.target.flatMap { name in report.targets.first { $0.name == name } }
            var output: [String] = []
            if let message = step.message { output.append(message) }
            if step.action == .log, let text = step.response?.stringValue { output.append(text) }
            let message = step.message ?? step.status.rawValue
            let result: Result
            switch step.status {
            case .passed:
                result = .passed
            case .failed, .timeout, .error:
                var body = message
                if let request = step.request { body += "\nrequest: \(request.jsonText)" }
                if let response = step.response { body += "\nresponse: \(response.jsonText)" }
                if step.status == .error, let tail = target?.process?.stderrTail, !tail.isEmpty {
                    output.append("QEMU's last output:\n" + tail)
                }
                result = step.status == .error
                    ? .error(type: step.status.rawValue, message: message, body: body)
                    : .failure(type: step.status.rawValue, message: message, body: body)
            case .skipped:
                result = .skipped(message: message)
            case .ignored:
                result = .skipped(message: "failure ignored: \(message)")
            case .rescued:
                result = .passed
            }
            return JUnitCase(
                name: name, classname: report.playbook.name + "." + (step.target ?? "-"), time: step.duration,
                file: step.file, line: step.line, result: result,
                output: output.isEmpty ? nil : output.joined(separator: "\n"))
        }
    }

    /// The `<error>` testcases of a setup that failed: a target that could
    /// not be opened, a preflight that found problems, and, when no step says
    /// why a run that did not pass ended (interrupted before its steps, a
    /// schema that could not be read), the run's own message.
    static func setupCases(of report: RunReport) -> [JUnitCase] {
        var cases: [JUnitCase] = []
        for target in report.targets where target.qemu == nil {
            guard let error = target.error else { continue }
            let tail = target.process?.stderrTail.flatMap { $0.isEmpty ? nil : "QEMU's last output:\n" + $0 }
            cases.append(JUnitCase(
                name: "setup: target \(target.name)", classname: report.playbook.name + "." + target.name,
                time: target.openedIn, file: report.playbook.path, line: nil,
                result: .error(type: "target", message: error, body: error),
                output: [error, tail].compactMap { $0 }.joined(separator: "\n")))
        }
        if !report.preflightProblems.isEmpty {
            let message = report.message ?? "the preflight found problems"
            let problems = report.preflightProblems.map(\.diagnostic.description).joined(separator: "\n")
            cases.append(JUnitCase(
                name: "setup: preflight", classname: report.playbook.name + ".preflight", time: report.preflightDuration,
                file: report.preflightProblems.first?.location.file ?? report.playbook.path,
                line: report.preflightProblems.first?.location.line,
                result: .error(type: "preflight", message: message, body: problems),
                output: message + "\n" + problems))
        }
        let stepsSayWhy = report.steps.indices.contains { [.failed, .timeout, .error].contains(report.steps.status(at: $0)) }
        if cases.isEmpty, !stepsSayWhy, report.outcome != .passed {
            let message = report.message ?? "the run \(report.outcome.rawValue == "error" ? "failed" : "was interrupted")"
            cases.append(JUnitCase(
                name: "setup", classname: report.playbook.name, time: nil, file: report.playbook.path, line: nil,
                result: .error(type: report.outcome.rawValue, message: message, body: message), output: message))
        }
        return cases
    }
}
