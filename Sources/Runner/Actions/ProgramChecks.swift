import Playbook
import QMP

/// How a step that runs a program — `command` on the host, `guest-exec` in
/// the guest — judges each run's `{exit, signal, stdout, stderr}`: against
/// `expect` (by default `{exit: 0}`), then, with `until`, whether to run it
/// again after `interval` (SPEC.md §7.1).
struct ProgramChecks: Sendable {
    /// What the result must match: the step's `expect`, or `{exit: 0}`.
    var expect: Pattern
    /// Whether `expect` is the default `{exit: 0}` (the step wrote none).
    var expectsSuccessOnly: Bool
    var until: Pattern?
    var interval: Duration

    /// A program passes without `expect` when it exits with status 0.
    private static let exitZero = try! Pattern(["exit": 0])

    init(expect: JSONValue?, until: JSONValue?, interval: Duration?, in context: ActionContext) throws(StepPreparationError) {
        self.expect = try context.pattern(expect, "expect") ?? Self.exitZero
        expectsSuccessOnly = expect == nil
        self.until = try context.pattern(until, "until")
        self.interval = interval ?? .seconds(1)
    }

    /// Judges one run's `value` into `result`.
    /// - Parameters:
    ///   - ended: how the run ended, for messages (`the command exited with status 1`).
    ///   - subject: what `expect` and `until` look at, for messages (`the command's result`).
    ///   - detail: what to add to a message about a failed run (its last stderr), or nothing.
    /// - Returns: the pause before the next attempt while `until` does not match yet;
    ///   nil when the step is over (`result` says how).
    private func judge(
        _ value: JSONValue, ended: String, subject: String, detail: String, attempts: Int, frame: StepFrame,
        schedule: inout PollSchedule, into result: inout StepResult
    ) -> Duration? {
        guard let until else {
            if let mismatch = expect.mismatch(in: value) {
                result.status = .failed
                if expectsSuccessOnly {
                    result.message = ended + detail
                } else {
                    result.message = frame.redact ? "\(subject) did not match expect"
                        : "\(ended), which does not match expect: \(mismatch)" + detail
                }
            }
            return nil
        }
        guard let mismatch = until.mismatch(in: value) else { return nil }
        guard let pause = schedule.pause() else {
            result.status = .timeout
            result.message = "\(subject) did not match until within \(describe(frame.budget)) (\(attempts.counted("attempt")))"
                + (frame.redact ? "" : "; last time: \(mismatch)")
            return nil
        }
        return pause
    }

    /// ``judge(_:ended:subject:detail:attempts:frame:schedule:into:)``, then the
    /// pause it asks for. - Returns: whether to run the program again; false
    /// when the step is over (`result` says how, also when it was interrupted).
    func judgeAndWait(
        _ value: JSONValue, ended: String, subject: String, detail: String, attempts: Int, frame: StepFrame,
        schedule: inout PollSchedule, into result: inout StepResult
    ) async -> Bool {
        guard let pause = judge(
            value, ended: ended, subject: subject, detail: detail, attempts: attempts, frame: frame,
            schedule: &schedule, into: &result) else { return false }
        try? await Task.sleep(for: pause)
        if Task.isCancelled {
            result.status = .error
            result.message = "interrupted"
            return false
        }
        return true
    }
}
