import FoundationEssentials
import Playbook
import QMP

/// The timeline of the HTML report: an inline SVG with one lane per target,
/// a lane under it for each guest channel it has (`vm console`, `vm agent`:
/// the steps that use that channel, the bytes the console printed, when the
/// agent first answered), and a `run` lane for the preflight and the steps
/// without a target.
///
/// Each lane shows the target's setup (launching, connecting and the QMP
/// handshake, from the start of the run), its steps as bars coloured by
/// status (each a link to its row in the step table), and its events as
/// ticks with their names: solid when a wait took the event, hollow and
/// orange when none did. Every positioned element carries its times in
/// milliseconds (`data-t0`, `data-t1`) so the page's script can lay the
/// lanes out again when zooming; the positions written here are zoom 1,
/// readable without the script.
struct HTMLTimeline {
    /// Width of the plot at zoom 1, and of the lane names before it.
    static let plotWidth = 1100.0
    static let labelWidth = 120.0
    static let laneHeight = 76.0
    /// The two rows event names take turns in, so close events both keep their names.
    static let labelRows = [56.0, 69.0]
    static let axisHeight = 24.0
    static let rightMargin = 48.0

    struct Lane {
        var name: String
        var kind: String
        var elements: [Markup] = []
        var labels: [(t: Double, text: String, classes: String)] = []
    }

    let report: RunReport
    /// The report's steps, read back once.
    let steps: [StepReport]

    /// The run's length in milliseconds: its duration, or the end of the last thing that happened.
    var total: Double {
        var end = report.duration.map(Timestamp.milliseconds) ?? 0
        for step in steps {
            guard let started = step.started else { continue }
            end = max(end, HTMLText.offset(of: started, from: report.started) + (step.duration.map(Timestamp.milliseconds) ?? 0))
        }
        for event in report.events {
            end = max(end, HTMLText.offset(of: event.event.received, from: report.started))
        }
        return max(end, 1)
    }

    /// Appends the `<svg>` element.
    func write(to svg: inout Markup) {
        let total = self.total
        let scale = Self.plotWidth / total
        let lanes = makeLanes()
        let height = Self.axisHeight + Double(lanes.count) * Self.laneHeight + 8
        let width = Self.labelWidth + Self.plotWidth + Self.rightMargin
        let ran = steps.compactMap { step in
            step.started.map { HTMLText.offset(of: $0, from: report.started) }.map { ($0, $0 + (step.duration.map(Timestamp.milliseconds) ?? 0)) }
        }
        let stepsStart = ran.map(\.0).min() ?? 0
        let stepsEnd = ran.map(\.1).max() ?? total
        svg += "<svg id=\"timeline-svg\" role=\"img\" aria-label=\"timeline\" width=\"\(number: width)\""
            + " data-steps-start=\"\(number: stepsStart)\" data-steps-end=\"\(number: stepsEnd)\""
            + " height=\"\(number: height)\" data-total=\"\(number: total)\""
            + " data-plot-width=\"\(number: Self.plotWidth)\" data-left=\"\(number: Self.labelWidth)\">\n"
        svg += "<g class=\"axis\" id=\"timeline-axis\">" + axis(total: total, scale: scale, height: height) + "</g>\n"
        for (index, lane) in lanes.enumerated() {
            let top = Self.axisHeight + Double(index) * Self.laneHeight
            svg += "<g class=\"lane lane-\(lane.kind)\" data-lane=\"\(lane.name)\" transform=\"translate(0,\(number: top))\">\n"
            svg += "<rect class=\"lane-bg\" x=\"0\" y=\"0\" width=\"100%\" height=\"\(number: Self.laneHeight - 2)\"/>\n"
            svg += "<text class=\"lane-name\" x=\"6\" y=\"22\">\(lane.name)</text>\n"
            for element in lane.elements {
                svg += element
                svg += "\n"
            }
            var rowEnds = Self.labelRows.map { _ in -Double.infinity }
            for label in lane.labels.sorted(by: { $0.t < $1.t }) {
                let x = Self.labelWidth + label.t * scale
                let row = rowEnds.firstIndex { x >= $0 }
                if let row { rowEnds[row] = x + Double(label.text.count) * 6 + 6 }
                let hidden: Markup = row == nil ? " hidden" : ""
                svg += "<text class=\"event-name \(label.classes)\(hidden)\" x=\"\(number: x)\""
                    + " y=\"\(number: Self.labelRows[row ?? 0])\""
                    + " data-t0=\"\(number: label.t)\">\(label.text)</text>\n"
            }
            svg += "</g>\n"
        }
        svg += "</svg>"
    }

    /// Grid lines and times along the top.
    private func axis(total: Double, scale: Double, height: Double) -> Markup {
        let step = Self.tickStep(total: total, width: Self.plotWidth)
        var out = Markup()
        var t = 0.0
        while t <= total + step / 2 {
            let x = Self.labelWidth + t * scale
            out += "<line class=\"grid\" x1=\"\(number: x)\" x2=\"\(number: x)\" y1=\"16\" y2=\"\(number: height)\" data-t0=\"\(number: t)\"/>"
            out += "<text class=\"tick\" x=\"\(number: x)\" y=\"12\" data-t0=\"\(number: t)\">\(HTMLText.milliseconds(t))</text>"
            t += step
        }
        return out
    }

    /// A round step between axis ticks (1, 2 or 5 times a power of ten ms), about every 100 px.
    static func tickStep(total: Double, width: Double) -> Double {
        let raw = total / max(1, width / 100)
        // The power of ten at or below raw (at least 0.001): 10^exponent,
        // negative exponents as 1 / 10^-exponent (exact for these).
        let floored = max(raw, 0.001)
        var exponent = 0
        while tenTo(exponent + 1) <= floored { exponent += 1 }
        while tenTo(exponent) > floored { exponent -= 1 }
        let power = tenTo(exponent)
        for factor in [1.0, 2, 5, 10] where raw <= factor * power { return factor * power }
        return 10 * power
    }

    private static func tenTo(_ exponent: Int) -> Double {
        var value = 1.0
        for _ in 0..<abs(exponent) { value *= 10 }
        return exponent < 0 ? 1 / value : value
    }

    private func makeLanes() -> [Lane] {
        let scale = Self.plotWidth / total
        var lanes: [Lane] = []
        /// The lane of each target, and of each of its guest channels (`console`, `agent`).
        var laneOf: [String: Int] = [:]
        for target in report.targets {
            laneOf[target.name] = lanes.count
            lanes.append(Lane(name: target.name, kind: "target"))
            for (channel, present) in [("console", target.console != nil), ("agent", target.agent != nil)] where present {
                laneOf[target.name + " " + channel] = lanes.count
                lanes.append(Lane(name: target.name + " " + channel, kind: channel))
            }
        }
        var run = Lane(name: "run", kind: "run")
        /// A name inside the bar from `t0` to `t1`, shown only where it fits.
        func caption(_ t0: Double, _ t1: Double, _ text: String) -> Markup {
            let hidden: Markup = (t1 - t0) * scale >= Double(text.count) * 6 + 8 ? "" : " hidden"
            return "<text class=\"caption\(hidden)\" x=\"\(number: Self.labelWidth + t0 * scale)\" dx=\"4\" y=\"21\""
                + " data-t0=\"\(number: t0)\" data-t1=\"\(number: t1)\">\(text)</text>"
        }
        func bar(_ t0: Double, _ t1: Double, classes: String, y: Double, height: Double, title: String, link: String? = nil) -> Markup {
            let x = Self.labelWidth + t0 * scale
            let width = max(2, (t1 - t0) * scale)
            let rect: Markup = "<rect class=\"\(classes)\" x=\"\(number: x)\" y=\"\(number: y)\" width=\"\(number: width)\" height=\"\(number: height)\""
                + " data-t0=\"\(number: t0)\" data-t1=\"\(number: t1)\"><title>\(title)</title></rect>"
            return link.map { "<a href=\"#\($0)\">\(rect)</a>" } ?? rect
        }

        // The setup: each target opening from the start of the run, then the preflight.
        var setupEnd = 0.0
        for target in report.targets {
            guard let index = laneOf[target.name], let opened = target.openedIn.map(Timestamp.milliseconds) else { continue }
            setupEnd = max(setupEnd, opened)
            let what = target.error == nil ? "opened" : "could not be opened: \(target.error ?? "")"
            lanes[index].elements.append(bar(
                0, opened, classes: "setup\(target.error == nil ? "" : " setup-failed")", y: 8, height: 18,
                title: "\(target.name): \(what) in \(HTMLText.milliseconds(opened))"))
            lanes[index].elements.append(caption(0, opened, "open \(HTMLText.milliseconds(opened))"))
        }
        if let preflight = report.preflightDuration.map(Timestamp.milliseconds) {
            let failed = !report.preflightProblems.isEmpty
            run.elements.append(bar(
                setupEnd, setupEnd + preflight, classes: "setup preflight\(failed ? " setup-failed" : "")", y: 8, height: 18,
                title: "preflight \(failed ? "found \(report.preflightProblems.count) problems" : "passed") in \(HTMLText.milliseconds(preflight))"))
            run.elements.append(caption(setupEnd, setupEnd + preflight, "preflight \(HTMLText.milliseconds(preflight))"))
        }

        for step in steps {
            guard let started = step.started else { continue }
            let t0 = HTMLText.offset(of: started, from: report.started)
            let t1 = t0 + (step.duration.map(Timestamp.milliseconds) ?? 0)
            let number = step.index + 1
            var title = "\(number). \(step.name): \(step.status.rawValue) in \(HTMLText.milliseconds(t1 - t0))"
            if let attempts = step.attempts, attempts > 1 { title += " (\(attempts) attempts)" }
            if let message = step.message, step.status != .passed { title += "\n" + message }
            let element = bar(
                t0, t1, classes: "step status-\(step.status.rawValue)", y: 8, height: 18, title: title, link: "step-\(step.index)")
            if let target = step.target, let index = step.action.channel.flatMap({ laneOf[target + " " + $0] }) ?? laneOf[target] {
                lanes[index].elements.append(element)
            } else {
                run.elements.append(element)
            }
        }

        for (position, event) in report.events.enumerated() {
            guard let index = laneOf[event.target] else { continue }
            let t = HTMLText.offset(of: event.event.received, from: report.started)
            let x = Self.labelWidth + t * scale
            let taken = event.event.takenBy
            let classes = taken == nil ? "event not-taken" : "event taken"
            let title = "\(event.event.name) at \(HTMLText.milliseconds(t))"
                + (taken.map { ", taken by step \($0 + 1)" } ?? ", taken by no wait")
            lanes[index].elements.append(
                "<a href=\"#event-\(position)\"><line class=\"\(classes)\" x1=\"\(number: x)\" x2=\"\(number: x)\" y1=\"30\" y2=\"44\" data-t0=\"\(number: t)\">"
                    + "<title>\(title)</title></line></a>")
            lanes[index].labels.append((t, event.event.name, taken == nil ? "not-taken" : "taken"))
        }
        // What the channels did besides steps: the console's output, the agent's first answer.
        for target in report.targets {
            if let console = target.console, let index = laneOf[target.name + " console"] {
                let what = console.error.map { "console: \($0)" } ?? "console printed \(console.bytes.counted("byte"))"
                lanes[index].labels.append((0, what, console.error == nil ? "channel" : "channel channel-failed"))
            }
            if let agent = target.agent, let index = laneOf[target.name + " agent"] {
                if let answered = agent.answeredAfter.map(Timestamp.milliseconds), let opened = target.openedIn.map(Timestamp.milliseconds) {
                    lanes[index].elements.append(bar(
                        opened, opened + answered, classes: "setup", y: 30, height: 10,
                        title: "\(target.name): the agent\(agent.version.map { " \($0)" } ?? "") answered \(HTMLText.milliseconds(answered)) after its channel opened"))
                }
                if let error = agent.error { lanes[index].labels.append((0, "agent: \(error)", "channel channel-failed")) }
            }
        }
        if !run.elements.isEmpty { lanes.append(run) }
        return lanes
    }
}
