import FoundationEssentials
import Playbook
import Synchronization
import QMP

/// The run's progress for people, as an observer: a line per finished step
/// (status, name, target, duration), with the reason under a failure, and a
/// summary line at the end.
///
/// ```swift
/// let progress = ProgressPrinter(verbosity: .verbose, color: false, liveLine: false)
/// let runner = PlaybookRunner(playbook: playbook, options: options, observers: [progress])
/// ```
///
/// With `liveLine` (a terminal that understands `\r` and `ESC[K`) the step
/// that is running shows as a line that the finished line replaces: its
/// place in the run (`[3/12]`), its name and target, the time it has run
/// against its budget (`1.2s / 30s`, redrawn five times a second) and, for a
/// step that polls (`until`), its attempt; otherwise only finished lines are
/// written. `quiet` keeps only failures,
/// notes asked for and the summary; `verbose` adds each request, reply and
/// event. Whether to color and whether the output is a terminal is the
/// caller's to decide (the command line looks at `--color`, `NO_COLOR`,
/// `TERM` and the descriptor).
public final class ProgressPrinter: RunObserver {
    public enum Verbosity: Sendable {
        case quiet, normal, verbose
    }

    private struct State {
        var liveLineShown = false
        var running: Running?
        /// Redraws the running step's line while there is one (live line only).
        var ticker: Task<Void, Never>?
    }

    /// The step doing its work now, as the live line shows it.
    private struct Running {
        var step: Step
        var progress: StepProgress
        var started: ContinuousClock.Instant
        var attempts = 0
    }

    /// How often the running step's elapsed time is redrawn.
    private static let tick: Duration = .milliseconds(200)

    private let fd: Int32
    private let verbosity: Verbosity
    private let color: Bool
    private let live: Bool
    private let columns: Int?
    private let state = Mutex(State())

    /// - Parameters:
    ///   - color: write ANSI colors.
    ///   - liveLine: show the running step as a line replaced in place (not in quiet mode).
    ///   - standardError: write to stderr (when stdout carries the report or JSON lines), not stdout.
    ///   - columns: the terminal's width: the live line is cut to it, so that it never wraps
    ///     (a wrapped line cannot be replaced in place and leaves debris).
    public init(
        verbosity: Verbosity = .normal, color: Bool = false, liveLine: Bool = false, standardError: Bool = false,
        columns: Int? = nil
    ) {
        fd = standardError ? 2 : 1
        self.verbosity = verbosity
        self.color = color
        live = liveLine && verbosity != .quiet
        self.columns = columns
    }

    /// Shows the step that starts now (with `liveLine` only).
    public func stepStarted(_ step: Step) {
        guard live else { return }
        let name = TerminalText.escape(step.name)
        let target = step.target.map(TerminalText.escape)
        var text = "  " + paint("…", .dim) + "     " + name + (target.map { "  " + paint($0, .dim) } ?? "")
        let indent = 8
        if let columns, indent + name.count + (target.map { $0.count + 2 } ?? 0) >= columns {
            text = "  " + paint("…", .dim) + "     "
                + TerminalText.fitting(name + (target.map { "  " + $0 } ?? ""), columns: columns - indent - 1)
        }
        emit { state in
            state.liveLineShown = true
            return "\r\u{1B}[K" + text
        }
    }

    /// Shows the step doing its work, with its place, elapsed time and budget (with `liveLine` only).
    public func stepRunning(_ step: Step, progress: StepProgress) {
        guard live else { return }
        emit { state in
            state.running = Running(step: step, progress: progress, started: .now)
            if state.ticker == nil { state.ticker = Task { [weak self] in await self?.tickWhileRunning() } }
            state.liveLineShown = true
            return "\r\u{1B}[K" + runningLine(state.running!, now: .now)
        }
    }

    private func tickWhileRunning() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.tick)
            let goOn = state.withLock { state in
                guard let running = state.running else {
                    state.ticker = nil
                    return false
                }
                // Below any line written meanwhile (verbose requests and replies, notes).
                state.liveLineShown = true
                _ = System.writeAll(fd, Array(("\r\u{1B}[K" + runningLine(running, now: .now)).utf8))
                return true
            }
            if !goOn { return }
        }
    }

    /// `  … [ 3/12]  name  target  1.2s / 30s  attempt 2`, cut to the terminal's width.
    private func runningLine(_ running: Running, now: ContinuousClock.Instant) -> String {
        let progress = running.progress
        let digits = String(progress.count).count
        let position = String(progress.position)
        let counter = "[" + String(repeating: " ", count: max(0, digits - position.count)) + position + "/\(progress.count)]"
        let tenths = Int64(((now - running.started) / .milliseconds(100)).rounded(.down))
        var timing = describe(.milliseconds(tenths * 100)) + " / " + describe(progress.budget)
        if running.attempts > 1 { timing += "  attempt \(running.attempts)" }
        let name = TerminalText.escape(running.step.name)
        let target = running.step.target.map(TerminalText.escape)
        let lead = "  " + paint("…", .dim) + " " + counter + "  "
        let leadWidth = 2 + 1 + 1 + counter.count + 2
        var middle = name + (target.map { "  " + paint($0, .dim) } ?? "")
        var tail = "  " + paint(timing, .dim)
        if let columns {
            let plain = name + (target.map { "  " + $0 } ?? "")
            var room = columns - leadWidth - 1
            if room - (timing.count + 2) >= 8 { room -= timing.count + 2 } else { tail = "" }
            if plain.count > room { middle = TerminalText.fitting(plain, columns: room) }
        }
        return lead + middle + tail
    }

    /// Writes the line of a finished step, and its message when it did not pass.
    public func stepFinished(_ step: StepReport) {
        if live { state.withLock { $0.running = nil } }
        let failed = !step.status.isSuccess
        if verbosity == .quiet, !failed { return }
        let label: String
        switch step.status {
        case .passed: label = paint("PASS ", .green)
        case .failed: label = paint("FAIL ", .red)
        case .timeout: label = paint("TIME ", .red)
        case .error: label = paint("ERROR", .red)
        case .skipped: label = paint("SKIP ", .dim)
        case .ignored: label = paint("IGNOR", .yellow)
        case .rescued: label = paint("RESCU", .yellow)
        }
        var line = "  \(label)  \(step.phase == .always ? "always: " : "")\(TerminalText.escape(step.name))"
        if let target = step.target { line += "  " + paint(TerminalText.escape(target), .dim) }
        if let duration = step.duration { line += "  " + describe(duration) }
        if let attempts = step.attempts, attempts > 1 { line += "  (\(attempts) attempts)" }
        if let message = step.message, step.status != .passed, step.status != .skipped || verbosity == .verbose {
            line += "\n         " + TerminalText.escape(message)
        }
        if step.action == .log, step.status == .passed, let text = step.response?.stringValue {
            line += "\n         " + TerminalText.escape(text)
        }
        writeLine(line)
    }

    /// In verbose mode, the command sent to `target`; on the live line, the attempt of a step that polls.
    public func requestSent(_ request: JSONValue, target: String) {
        if live {
            emit { state in
                guard var running = state.running else { return "" }
                running.attempts += 1
                state.running = running
                guard running.attempts > 1 else { return "" }
                state.liveLineShown = true
                return "\r\u{1B}[K" + runningLine(running, now: .now)
            }
        }
        guard verbosity == .verbose else { return }
        writeLine("         " + paint("→ \(target) \(request.jsonText)", .dim))
    }

    /// In verbose mode, the reply received from `target`.
    public func replyReceived(_ reply: JSONValue, target: String) {
        guard verbosity == .verbose else { return }
        received(reply == StepReport.redacted ? "<redacted>" : reply.jsonText, from: target)
    }

    /// In verbose mode, the event received from `target`.
    public func eventReceived(_ event: EventReport) {
        guard verbosity == .verbose else { return }
        received("event \(event.redacted ? "\(event.event.name) <redacted>" : event.event.summary)", from: event.target)
    }

    private func received(_ text: String, from target: String) {
        writeLine("         " + paint("← \(target) \(TerminalText.escape(text))", .dim))
    }

    /// A line about the run itself (targets ready, stopping…), dim; not in
    /// quiet mode unless `evenWhenQuiet`.
    public func note(_ text: String, evenWhenQuiet: Bool) {
        guard verbosity != .quiet || evenWhenQuiet else { return }
        writeLine(paint(TerminalText.escape(text), .dim))
    }

    /// The last line: the outcome and the counts (the reason of a failure is the caller's to print).
    public func runFinished(_ report: RunReport) {
        state.withLock { state in
            state.running = nil
            state.ticker?.cancel()
            state.ticker = nil
        }
        let summary = report.summary
        var counts = ["\(summary.passed) passed"]
        if summary.failed > 0 { counts.append("\(summary.failed) failed") }
        if summary.timeout > 0 { counts.append("\(summary.timeout) timed out") }
        if summary.error > 0 { counts.append("\(summary.error) error") }
        if summary.ignored > 0 { counts.append("\(summary.ignored) ignored") }
        if summary.skipped > 0 { counts.append("\(summary.skipped) skipped") }
        let outcome: String
        switch report.outcome {
        case .passed: outcome = paint("passed", .green)
        case .failed: outcome = paint("failed", .red)
        case .error: outcome = paint("error", .red)
        case .interrupted: outcome = paint("interrupted", .yellow)
        }
        var line = "\(TerminalText.escape(report.playbook.name)): \(outcome), \(summary.total.counted("step")) (\(counts.joined(separator: ", ")))"
        if let duration = report.duration { line += " in \(describe(duration))" }
        writeLine(line)
    }

    private enum Paint: String {
        case green = "32", red = "31", yellow = "33", dim = "2"
    }

    private func paint(_ text: String, _ paint: Paint) -> String {
        color ? "\u{1B}[\(paint.rawValue)m\(text)\u{1B}[0m" : text
    }

    private func writeLine(_ line: String) {
        emit { state in
            let prefix = state.liveLineShown ? "\r\u{1B}[K" : ""
            state.liveLineShown = false
            return prefix + line + "\n"
        }
    }

    private func emit(_ make: (inout State) -> String) {
        state.withLock { state in
            let text = make(&state)
            _ = System.writeAll(fd, Array(text.utf8))
        }
    }
}
