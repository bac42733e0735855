import FoundationEssentials
import QMP

/// The HTML page of a fleet (`run --inventory … --html PATH`): the outcome
/// and the counts, then one row per member — outcome, exit code, duration,
/// why it did not pass — linking to the member's own page (each member's
/// run writes one next to its report). Self-contained like the run's page;
/// its only links are to the member pages.
public enum HTMLFleetPage {
    /// - Parameter memberPage: the link to a member's page (relative to this page), or nil when it has none.
    public static func render(_ report: FleetReport, memberPage: (FleetReport.Member) -> String?) -> String {
        page(report, memberPage: memberPage).text
    }

    /// The page as UTF-8 bytes, for a file (no copy through a String).
    public static func renderedBytes(_ report: FleetReport, memberPage: (FleetReport.Member) -> String?) -> [UInt8] {
        page(report, memberPage: memberPage).bytes
    }

    private static func page(_ report: FleetReport, memberPage: (FleetReport.Member) -> String?) -> Markup {
        let summary = report.summary
        let outcome: String = switch report.exitStatus {
        case .passed: "passed"
        case .stepFailed: "failed"
        case .interrupted: "interrupted"
        default: "error"
        }
        var html: Markup = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>\(report.playbook.name): fleet \(outcome)</title>\n"
        html += "<script>\n\(Markup(raw: HTMLAssets.errorRecorder))\n</script>\n"
        html += "<style>\n\(Markup(raw: HTMLAssets.style))\n</style>\n</head>\n<body>\n<header>\n"
        html += "<h1>\(report.playbook.name) — fleet"
            + "<span class=\"badge outcome outcome-\(outcome)\" id=\"outcome\">\(outcome)</span></h1>\n"
        html += "<p class=\"sub\">\(report.playbook.path) · started \(Timestamp.string(report.started))"
            + " · exit \(Int(report.exitStatus.code))</p>\n"
        var figures = [(report.duration.map { HTMLText.milliseconds(Timestamp.milliseconds($0)) } ?? "—", "duration"),
                       ("\(summary.total)", "members"), ("\(summary.passed)", "passed")]
        for (count, name) in [(summary.failed, "failed"), (summary.error, "error"), (summary.interrupted, "interrupted")] where count > 0 {
            figures.append(("\(count)", name))
        }
        html += "<div class=\"figures\" id=\"figures\">"
        for (value, what) in figures {
            html += "<div class=\"figure\"><div class=\"value\">\(value)</div><div class=\"what\">\(what)</div></div>"
        }
        html += "</div>\n</header>\n<h2>Members</h2>\n"
        html += "<table id=\"members\"><thead><tr><th>member</th><th>outcome</th><th>exit</th><th>duration</th><th>why</th></tr></thead><tbody>\n"
        for member in report.members {
            let name = member.name
            let cell: Markup = memberPage(member).map { "<a href=\"\($0)\">\(name)</a>" } ?? "\(name)"
            let duration = member.duration.map { HTMLText.milliseconds(Timestamp.milliseconds($0)) } ?? "—"
            html += "<tr class=\"member-row outcome-\(member.outcome.rawValue)\" data-member=\"\(name)\"><td>\(cell)</td>"
                + "<td><span class=\"badge outcome outcome-\(member.outcome.rawValue)\">\(member.outcome.rawValue)</span></td>"
                + "<td>\(Int(member.exitStatus.code))</td><td>\(duration)</td><td>\(member.message ?? "")</td></tr>\n"
        }
        html += "</tbody></table>\n"
        html += "<script>document.documentElement.setAttribute('data-ready', 'yes');</script>\n</body>\n</html>\n"
        return html
    }
}
