import FoundationEssentials
import Playbook
import QMP

/// Renders a ``RunReport`` as one self-contained HTML page (`--html PATH`):
/// style, script and the SVG timeline are inline, and the page loads nothing
/// from anywhere.
///
/// ```swift
/// try ReportWriter.write(Array(HTMLReport.render(report).utf8), to: "run.html")
/// ```
///
/// The page has a header with the outcome and the figures (steps by status,
/// the run's time and how much of it went to setup, events and how many no
/// wait took), the timeline (``HTMLTimeline``: a lane per target, zoomable),
/// the step table (``HTMLStepTable``: requests, replies and messages, failures
/// opened) and the event table (``HTMLEventTable``: which wait took each event).
public enum HTMLReport {
    public static func render(_ report: RunReport) -> String {
        // Read back from the spool once; the header, timeline and tables all go over them.
        let steps = Array(report.steps)
        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>\(HTMLText.escape(report.playbook.name)): \(report.outcome.rawValue)</title>\n"
        html += "<script>\n\(HTMLAssets.errorRecorder)\n</script>\n"
        html += "<style>\n\(HTMLAssets.style)\n</style>\n</head>\n<body>\n"
        html += header(report, steps: steps)
        html += "<h2>Timeline</h2>\n"
        html += "<div class=\"controls\"><button type=\"button\" id=\"zoom-out\">−</button>"
            + "<button type=\"button\" id=\"zoom-in\">+</button><button type=\"button\" id=\"zoom-fit\">fit</button>"
            + "<button type=\"button\" id=\"zoom-steps\">steps</button>"
            + " zoom <span id=\"zoom-level\">1×</span> · Ctrl + wheel zooms, the bar scrolls; a bar or tick leads to its row</div>\n"
        html += "<div id=\"timeline-box\">\n\(HTMLTimeline(report: report, steps: steps).svg)\n</div>\n"
        html += legend
        html += "<h2>Steps</h2>\n\(HTMLStepTable(report: report, steps: steps).html)\n"
        html += "<h2>Events</h2>\n\(HTMLEventTable(report: report, steps: steps).html)\n"
        html += "<script>\n\(HTMLAssets.timelineScript)\n</script>\n</body>\n</html>\n"
        return html
    }

    private static func header(_ report: RunReport, steps: [StepReport]) -> String {
        let summary = report.summary
        var html = "<header>\n<h1>\(HTMLText.escape(report.playbook.name))"
            + "<span class=\"badge outcome outcome-\(report.outcome.rawValue)\" id=\"outcome\">\(report.outcome.rawValue)</span></h1>\n"
        html += "<p class=\"sub\">\(HTMLText.escape(report.playbook.path)) · started \(Timestamp.string(report.started))"
            + " · exit \(report.exitStatus.code) · qmpbook \(HTMLText.escape(report.toolVersion))</p>\n"
        if let message = report.message {
            let failed = steps.first { !$0.status.isSuccess }
            let link = failed.map { " <a href=\"#step-\($0.index)\">(step \($0.index + 1))</a>" } ?? ""
            html += "<div class=\"why\" id=\"why\">\(HTMLText.escape(message))\(link)</div>\n"
        }
        for problem in report.preflightProblems {
            html += "<div class=\"why\">\(HTMLText.escape(problem.diagnostic.description))</div>\n"
        }
        let total = report.duration.map(Timestamp.milliseconds)
        let setup = (report.targets.compactMap { $0.openedIn.map(Timestamp.milliseconds) }.max() ?? 0)
            + (report.preflightDuration.map(Timestamp.milliseconds) ?? 0)
        let notTaken = report.events.filter { $0.event.takenBy == nil }.count
        var figures: [(String, String)] = [
            (total.map(HTMLText.milliseconds) ?? "—", "duration"),
            ("\(summary.total)", "steps"),
            ("\(summary.passed)", "passed"),
        ]
        for (count, name) in [(summary.failed, "failed"), (summary.timeout, "timed out"), (summary.error, "error"),
                              (summary.ignored, "ignored"), (summary.skipped, "skipped")] where count > 0 {
            figures.append(("\(count)", name))
        }
        var setupText = HTMLText.milliseconds(setup)
        if let total, total > 0 { setupText += " (\(Int((setup / total * 100).rounded()))%)" }
        figures.append((setupText, "setup: opening targets and preflight"))
        figures.append(("\(report.events.count)", notTaken > 0 ? "events, \(notTaken) taken by no wait" : "events"))
        html += "<div class=\"figures\" id=\"figures\">"
        for (value, what) in figures {
            html += "<div class=\"figure\"><div class=\"value\">\(HTMLText.escape(value))</div><div class=\"what\">\(HTMLText.escape(what))</div></div>"
        }
        html += "</div>\n"
        for target in report.targets {
            var text = "\(target.name): \(target.mode.rawValue)"
            if let address = target.address { text += " \(address)" }
            if let qemu = target.qemu { text += ", QEMU \(qemu.major).\(qemu.minor).\(qemu.micro)" }
            if let process = target.process {
                text += ", pid \(process.pid)"
                if let exit = process.exit { text += ", \(exit)" }
            }
            if let opened = target.openedIn { text += ", opened in \(HTMLText.milliseconds(Timestamp.milliseconds(opened)))" }
            if let error = target.error { text += " — \(error)" }
            html += "<p class=\"targets\">\(HTMLText.escape(text))</p>\n"
        }
        return html + "</header>\n"
    }

    private static let legend = "<p class=\"legend\">"
        + ["passed", "failed", "timeout", "error", "ignored", "skipped"].map {
            "<span><i class=\"swatch\" style=\"background: var(--\($0))\"></i>\($0)</span>"
        }.joined()
        + "<span><i class=\"swatch\" style=\"background: var(--setup)\"></i>setup (open, preflight)</span>"
        + "<span><i class=\"swatch\" style=\"background: #1f4e9c\"></i>event taken by a wait</span>"
        + "<span><i class=\"swatch\" style=\"background: var(--timeout)\"></i>event taken by no wait</span></p>\n"
}
