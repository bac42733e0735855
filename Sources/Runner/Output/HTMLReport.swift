import FoundationEssentials
import Playbook
import QMP

/// Renders a ``RunReport`` as one self-contained HTML page (`--html PATH`):
/// style, script and the SVG timeline are inline, and the page loads nothing
/// from anywhere.
///
/// ```swift
/// try ReportWriter.write(HTMLReport.renderedBytes(report), to: "run.html")
/// ```
///
/// The page has a header with the outcome and the figures (steps by status,
/// the run's time and how much of it went to setup, events and how many no
/// wait took), the timeline (``HTMLTimeline``: a lane per target, zoomable),
/// the step table (``HTMLStepTable``: requests, replies and messages, failures
/// opened) and the event table (``HTMLEventTable``: which wait took each event).
public enum HTMLReport {
    public static func render(_ report: RunReport) -> String {
        page(report).text
    }

    /// The page as UTF-8 bytes, for a file (no copy through a String).
    public static func renderedBytes(_ report: RunReport) -> [UInt8] {
        page(report).bytes
    }

    static func page(_ report: RunReport) -> Markup {
        // Read back from the spool once; the header, timeline and tables all go over them.
        let steps = Array(report.steps)
        var html: Markup = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        // About what a step takes on the page, so it grows a few times at most.
        html.reserveCapacity(24_000 + steps.count * 1_400)
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>\(report.playbook.name): \(report.outcome.rawValue)</title>\n"
        html += "<script>\n\(Markup(raw: HTMLAssets.errorRecorder))\n</script>\n"
        html += "<style>\n\(Markup(raw: HTMLAssets.style))\n</style>\n</head>\n<body>\n"
        header(report, steps: steps, to: &html)
        html += "<h2>Timeline</h2>\n"
        html += "<div class=\"controls\"><button type=\"button\" id=\"zoom-out\">−</button>"
            + "<button type=\"button\" id=\"zoom-in\">+</button><button type=\"button\" id=\"zoom-fit\">fit</button>"
            + "<button type=\"button\" id=\"zoom-steps\">steps</button>"
            + " zoom <span id=\"zoom-level\">1×</span> · Ctrl + wheel zooms, the bar scrolls; a bar or tick leads to its row</div>\n"
        html += "<div id=\"timeline-box\">\n"
        HTMLTimeline(report: report, steps: steps).write(to: &html)
        html += "\n</div>\n"
        html += legend
        html += "<h2>Steps</h2>\n"
        HTMLStepTable(report: report, steps: steps).write(to: &html)
        html += "\n<h2>Events</h2>\n"
        HTMLEventTable(report: report, steps: steps).write(to: &html)
        html += "\n<script>\n\(Markup(raw: HTMLAssets.timelineScript))\n</script>\n</body>\n</html>\n"
        return html
    }

    private static func header(_ report: RunReport, steps: [StepReport], to html: inout Markup) {
        let summary = report.summary
        html += "<header>\n<h1>\(report.playbook.name)"
            + "<span class=\"badge outcome outcome-\(report.outcome.rawValue)\" id=\"outcome\">\(report.outcome.rawValue)</span></h1>\n"
        html += "<p class=\"sub\">\(report.playbook.path) · started \(Timestamp.string(report.started))"
            + " · exit \(Int(report.exitStatus.code)) · qmpbook \(report.toolVersion)</p>\n"
        if let message = report.message {
            let failed = steps.first { !$0.status.isSuccess }
            let link: Markup = failed.map { " <a href=\"#step-\($0.index)\">(step \($0.index + 1))</a>" } ?? ""
            html += "<div class=\"why\" id=\"why\">\(message)\(link)</div>\n"
        }
        for problem in report.preflightProblems {
            html += "<div class=\"why\">\(problem.diagnostic.description)</div>\n"
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
            html += "<div class=\"figure\"><div class=\"value\">\(value)</div><div class=\"what\">\(what)</div></div>"
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
            html += "<p class=\"targets\">\(text)</p>\n"
        }
        html += "</header>\n"
    }

    private static let legend = Markup(raw: "<p class=\"legend\">"
        + ["passed", "failed", "timeout", "error", "ignored", "skipped"].map {
            "<span><i class=\"swatch\" style=\"background: var(--\($0))\"></i>\($0)</span>"
        }.joined()
        + "<span><i class=\"swatch\" style=\"background: var(--setup)\"></i>setup (open, preflight)</span>"
        + "<span><i class=\"swatch\" style=\"background: #1f4e9c\"></i>event taken by a wait</span>"
        + "<span><i class=\"swatch\" style=\"background: var(--timeout)\"></i>event taken by no wait</span></p>\n")
}
