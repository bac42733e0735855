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

    func write(to html: inout Markup) {
        html += "<table class=\"steps\" id=\"steps\"><thead><tr><th>#</th><th>step</th><th>target</th><th>action</th>"
            + "<th>status</th><th>start</th><th>duration</th><th>attempts</th><th>written at</th></tr></thead><tbody>\n"
        for step in steps {
            row(step, to: &html)
        }
        html += "</tbody></table>"
    }

    private func row(_ step: StepReport, to html: inout Markup) {
        let start = step.started.map { "+" + HTMLText.milliseconds(HTMLText.offset(of: $0, from: report.started)) } ?? "—"
        let duration = step.duration.map { HTMLText.milliseconds(Timestamp.milliseconds($0)) } ?? "—"
        let name = (step.phase == .always ? "always: " : "") + step.name
        html += "<tr class=\"step-row status-\(step.status.rawValue)\" id=\"step-\(step.index)\" data-step=\"\(step.index)\">"
        html += "<td>\(step.index + 1)</td><td>\(name)</td><td>\(step.target ?? "—")</td>"
        html += "<td>\(step.action.rawValue)</td><td><span class=\"badge status-\(step.status.rawValue)\">\(step.status.rawValue)</span></td>"
        html += "<td>\(start)</td><td>\(duration)</td><td>\(step.attempts.map(String.init) ?? "—")</td>"
        html += "<td class=\"place\">\(place(of: step))</td></tr>\n"
        var parts = Markup()
        if let message = step.message {
            parts += "<p class=\"message\">\(message)</p>"
        }
        if let request = step.request { parts += block("request", request) }
        if let response = step.response {
            if step.action == .log, let text = response.stringValue {
                parts += "<p class=\"logged\">\(text)</p>"
            } else {
                parts += block("reply", response)
            }
        }
        if let event = step.event { parts += block("event", event) }
        guard !parts.bytes.isEmpty else { return }
        let open: Markup = step.status.isSuccess && step.status != .ignored ? "" : " open"
        let summary = step.status.isSuccess ? "details" : "why it \(step.status == .timeout ? "timed out" : "failed")"
        html += "<tr class=\"step-detail\" data-step=\"\(step.index)\"><td></td><td colspan=\"8\"><details\(open)>"
            + "<summary>\(summary)</summary>\(parts)</details></td></tr>\n"
    }

    /// `FILE:LINE` where the step is written, or `—`.
    private func place(of step: StepReport) -> String {
        step.file.map { file in step.line.map { "\(file):\($0)" } ?? file } ?? "—"
    }

    private func block(_ label: String, _ value: JSONValue) -> Markup {
        "<div class=\"json\"><span class=\"label\">\(label)</span><pre>\(json: value, pretty: true)</pre></div>"
    }
}
