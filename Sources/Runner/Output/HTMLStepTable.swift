import FoundationEssentials
import Playbook
import QMP

/// The step table of the HTML report: one row per step (number, name, target,
/// action, status, start and duration, attempts, where it is written), with
/// its request, reply, event and message under it; open for a step that did
/// not pass, folded for the others.
struct HTMLStepTable {
    let report: RunReport
    /// The report's steps, read back once.
    let steps: [StepReport]

    var html: String {
        var html = "<table class=\"steps\" id=\"steps\"><thead><tr><th>#</th><th>step</th><th>target</th><th>action</th>"
            + "<th>status</th><th>start</th><th>duration</th><th>attempts</th><th>written at</th></tr></thead><tbody>\n"
        for step in steps {
            html += row(step)
        }
        return html + "</tbody></table>"
    }

    private func row(_ step: StepReport) -> String {
        let start = step.started.map { "+" + HTMLText.milliseconds(HTMLText.offset(of: $0, from: report.started)) } ?? "—"
        let duration = step.duration.map { HTMLText.milliseconds(Timestamp.milliseconds($0)) } ?? "—"
        let place = step.file.map { file in step.line.map { "\(file):\($0)" } ?? file } ?? "—"
        let name = (step.phase == .always ? "always: " : "") + step.name
        var html = "<tr class=\"step-row status-\(step.status.rawValue)\" id=\"step-\(step.index)\" data-step=\"\(step.index)\">"
        html += "<td>\(step.index + 1)</td><td>\(HTMLText.escape(name))</td><td>\(HTMLText.escape(step.target ?? "—"))</td>"
        html += "<td>\(step.action.rawValue)</td><td><span class=\"badge status-\(step.status.rawValue)\">\(step.status.rawValue)</span></td>"
        html += "<td>\(start)</td><td>\(duration)</td><td>\(step.attempts.map(String.init) ?? "—")</td>"
        html += "<td class=\"place\">\(HTMLText.escape(place))</td></tr>\n"
        var parts: [String] = []
        if let message = step.message {
            parts.append("<p class=\"message\">\(HTMLText.escape(message))</p>")
        }
        if let request = step.request { parts.append(block("request", request)) }
        if let response = step.response {
            if step.action == .log, let text = response.stringValue {
                parts.append("<p class=\"logged\">\(HTMLText.escape(text))</p>")
            } else {
                parts.append(block("reply", response))
            }
        }
        if let event = step.event { parts.append(block("event", event)) }
        guard !parts.isEmpty else { return html }
        let open = step.status.isSuccess && step.status != .ignored ? "" : " open"
        let summary = step.status.isSuccess ? "details" : "why it \(step.status == .timeout ? "timed out" : "failed")"
        html += "<tr class=\"step-detail\" data-step=\"\(step.index)\"><td></td><td colspan=\"8\"><details\(open)>"
            + "<summary>\(summary)</summary>\(parts.joined())</details></td></tr>\n"
        return html
    }

    private func block(_ label: String, _ value: JSONValue) -> String {
        "<div class=\"json\"><span class=\"label\">\(label)</span><pre>\(HTMLText.escape(value.prettyJSONText))</pre></div>"
    }
}
