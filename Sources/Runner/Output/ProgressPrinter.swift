import Foundation
import Playbook
import Synchronization
import QMP

/// The run's progress for people: a line per finished step (status, name,
/// target, duration), with the reason under a failure.
///
/// On a terminal the step that is running shows as a live line that the
/// finished line replaces; piped, only finished lines are written, plain.
/// `quiet` keeps only failures and the final summary; `verbose` adds each
/// request and reply.
public final class ProgressPrinter: Sendable {
    public enum Verbosity: Sendable {
        case quiet, normal, verbose
    }

    public enum ColorChoice: String, Sendable, CaseIterable {
        case auto, always, never
    }

    private struct State {
        var liveLineShown = false
    }

    private let fd: Int32
    private let verbosity: Verbosity
    private let color: Bool
    private let live: Bool
    private let state = Mutex(State())

    /// - Parameters:
    ///   - standardError: write to stderr (when stdout carries the report or JSON lines).
    public init(verbosity: Verbosity = .normal, color: ColorChoice = .auto, standardError: Bool = false) {
        fd = standardError ? 2 : 1
        self.verbosity = verbosity
        let terminal = System.isTerminal(fd)
        let environment = ProcessInfo.processInfo.environment
        let dumb = environment["TERM"] == "dumb" || environment["TERM"] == nil
        switch color {
        case .always: self.color = true
        case .never: self.color = false
        case .auto: self.color = terminal && !dumb && environment["NO_COLOR"] == nil
        }
        live = terminal && !dumb && verbosity != .quiet
    }

    public var isVerbose: Bool { verbosity == .verbose }

    /// Shows the step that starts now (terminal only).
    public func stepStarted(name: String, target: String?) {
        guard live else { return }
        let text = "  " + paint("…", .dim) + "     " + name + (target.map { "  " + paint($0, .dim) } ?? "")
        emit { state in
            state.liveLineShown = true
            return "\r\u{1B}[K" + text
        }
    }

    /// Writes the line of a finished step, and its message when it did not pass.
    public func stepFinished(_ step: StepReport) {
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
        }
        var line = "  \(label)  \(step.phase == .always ? "always: " : "")\(step.name)"
        if let target = step.target { line += "  " + paint(target, .dim) }
        if let duration = step.duration { line += "  " + describe(duration) }
        if let attempts = step.attempts, attempts > 1 { line += "  (\(attempts) attempts)" }
        if let message = step.message, step.status != .passed, step.status != .skipped || verbosity == .verbose {
            line += "\n         " + message
        }
        if step.action == .log, step.status == .passed, let text = step.response?.stringValue {
            line += "\n         " + text
        }
        writeLine(line)
    }

    /// In verbose mode, the command sent to `target`.
    public func request(_ text: String, target: String) {
        guard verbosity == .verbose else { return }
        writeLine("         " + paint("→ \(target) \(text)", .dim))
    }

    /// In verbose mode, the reply or event received from `target`.
    public func reply(_ text: String, target: String) {
        guard verbosity == .verbose else { return }
        writeLine("         " + paint("← \(target) \(text)", .dim))
    }

    /// A line about the run itself (targets ready, stopping…); not in quiet mode.
    /// A side note (dim); `evenWhenQuiet` for what a user asked to be told,
    /// such as the kept run directory's path.
    public func note(_ text: String, evenWhenQuiet: Bool = false) {
        guard verbosity != .quiet || evenWhenQuiet else { return }
        writeLine(paint(text, .dim))
    }

    /// The last line: the outcome and the counts (the reason of a failure is the caller's to print).
    public func finished(_ report: RunReport) {
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
        var line = "\(report.playbook.name): \(outcome), \(summary.total) steps (\(counts.joined(separator: ", ")))"
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
