import FoundationEssentials
import QMP

/// The event table of the HTML report: every event in order of arrival, its
/// target, when it arrived, and which wait took it (a link to the step), or
/// that none did: an event that arrived before its wait, or that nobody
/// waited for, stands out.
struct HTMLEventTable {
    let report: RunReport
    /// The report's steps, read back once.
    let steps: [StepReport]

    func write(to html: inout Markup) {
        guard !report.events.isEmpty else { return html += "<p class=\"none\">No events arrived.</p>" }
        // The name of each step by its index, for the waits that took events.
        let names = Dictionary(steps.map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        html += "<table class=\"events\" id=\"events\"><thead><tr><th>#</th><th>event</th><th>target</th>"
            + "<th>received</th><th>taken by</th><th>data</th></tr></thead><tbody>\n"
        for (position, event) in report.events.enumerated() {
            let received = "+" + HTMLText.milliseconds(HTMLText.offset(of: event.event.received, from: report.started))
            let taken: Markup = if let index = event.event.takenBy {
                "<a href=\"#step-\(index)\">\(index + 1). \(names[index] ?? "")</a>"
            } else {
                "<span class=\"not-taken\">no wait</span>"
            }
            let data: JSONValue = event.redacted ? StepReport.redacted : .object(event.event.data)
            let text: Markup = data == [:] ? "" : "<code>\(json: data, pretty: false)</code>"
            let rowClass: Markup = event.event.takenBy == nil ? " not-taken" : ""
            html += "<tr class=\"event-row\(rowClass)\" id=\"event-\(position)\">"
                + "<td>\(position + 1)</td><td>\(event.event.name)</td><td>\(event.target)</td>"
                + "<td>\(received)</td><td>\(taken)</td><td>\(text)</td></tr>\n"
        }
        html += "</tbody></table>"
    }
}
