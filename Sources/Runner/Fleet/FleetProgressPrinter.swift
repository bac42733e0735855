import Playbook
import QMP
import Synchronization

/// The progress lines of a fleet: one line per member as it ends (its
/// outcome, name and time; for a member that did not pass its one-line
/// reason and the step that failed), then the summary. On a terminal a live
/// line under them counts the members running and done.
///
/// ```text
/// passed       ci-1  310ms
/// FAILED       ci-2  402ms: step 2 'query' failed: expected {"running": true}, got …
///                FAIL   query  vm  3ms
/// fleet: 2 members in 0.9s: 1 passed, 1 failed, 0 error, 0 interrupted
/// ```
public final class FleetProgressPrinter: FleetObserver {
    private struct State {
        var running = 0
        var done = 0
        var liveLineShown = false
    }

    private let state = Mutex(State())
    private let fd: Int32
    private let color: Bool
    private let liveLine: Bool
    private let total: Int
    private let quiet: Bool

    /// - Parameters:
    ///   - total: how many members the fleet has (for the live line).
    ///   - quiet: print only members that did not pass, and the summary.
    ///   - standardError: write to stderr (when stdout carries the report or the JSON lines).
    public init(total: Int, quiet: Bool = false, color: Bool = false, liveLine: Bool = false, standardError: Bool = false) {
        self.total = total
        self.quiet = quiet
        self.color = color
        self.liveLine = liveLine
        fd = standardError ? 2 : 1
    }

    public func memberStarted(_ name: String) {
        emit { state in
            state.running += 1
            return ""
        }
    }

    public func memberFinished(_ member: FleetReport.Member, report: RunReport?) {
        let passed = member.outcome == .passed
        let label: String
        switch member.outcome {
        case .passed: label = paint("passed     ", "32")
        case .failed: label = paint("FAILED     ", "31")
        case .error: label = paint("ERROR      ", "31")
        case .interrupted: label = paint("interrupted", "33")
        }
        var line = "\(label)  \(TerminalText.escape(member.name))"
        if let duration = member.duration { line += "  " + describe(duration) }
        if !passed, let message = member.message { line += ": " + TerminalText.escape(message) }
        for step in report?.steps ?? [] where !step.status.isSuccess {
            var text = "\n               \(step.status.rawValue.uppercased())  \(TerminalText.escape(step.name))"
            if let target = step.target { text += "  \(TerminalText.escape(target))" }
            if let duration = step.duration { text += "  " + describe(duration) }
            line += text
        }
        let show = !(quiet && passed)
        emit { state in
            if report != nil { state.running -= 1 }
            state.done += 1
            return show ? line + "\n" : ""
        }
    }

    public func fleetFinished(_ report: FleetReport) {
        let summary = report.summary
        var line = "fleet: \(summary.total.counted("member"))"
        if let duration = report.duration { line += " in \(describe(duration))" }
        line += ": \(summary.passed) passed, \(summary.failed) failed, \(summary.error) error, \(summary.interrupted) interrupted"
        if let signal = report.interruption { line += " (\(ExitStatus.name(ofSignal: signal)))" }
        emit { state in
            state.running = 0
            return line + "\n"
        }
        if liveLine { _ = System.writeAll(fd, Array("\r\u{1B}[K".utf8)) }
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// Writes what `make` returns, first clearing the live line, then (on a terminal) drawing it again.
    private func emit(_ make: (inout State) -> String) {
        state.withLock { state in
            var text = make(&state)
            guard liveLine else {
                if !text.isEmpty { _ = System.writeAll(fd, Array(text.utf8)) }
                return
            }
            text = (state.liveLineShown ? "\r\u{1B}[K" : "") + text
            if state.done < total {
                text += "[\(state.running) running, \(state.done)/\(total) done]"
                state.liveLineShown = true
            } else {
                state.liveLineShown = false
            }
            _ = System.writeAll(fd, Array(text.utf8))
        }
    }
}
