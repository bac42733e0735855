import FoundationEssentials
import Playbook
import QMP

/// A `start: TARGET` step (SPEC.md §7.2): opens the target now, as the run's
/// start opens targets; a restart after `stop` or `execute: quit` gets a fresh
/// event log. With `expect`, QEMU must instead exit before its handshake, and
/// its exit status, signal and output must match.
struct StartAction: StepActionRunner, FramedAction {
    var name: String
    var expect: Pattern?
    var registry: TargetRegistry
    var frame: StepFrame

    /// A QEMU that fails to start is stopped and its output read before the step reports.
    var slack: Duration { .seconds(6) }

    init(_ definition: StartStep, in context: ActionContext) throws(StepPreparationError) {
        registry = try context.requireRegistry()
        name = try context.text(.string(definition.target), "target")
        expect = try context.pattern(definition.expect?.pattern, "expect")
        frame = context.frame
    }

    func run() async -> StepResult {
        var result = StepResult(.passed)
        result.request = ["start": .string(name)]
        result.sentAt = Date()
        switch await registry.start(name, step: frame.reference, budget: budget) {
        case .refused(let message):
            result.status = .failed
            result.message = message
        case .opened(let session, let instance):
            result.response = [
                "pid": instance.pid.map { .int(Int64($0)) } ?? .null,
                "qemu": instance.qemu.map(\.jsonValue) ?? .null,
            ]
            if let expect {
                result.status = .failed
                result.message = "target \(name) came up (QEMU \(session.greeting.version)), but expect wanted it to fail to start"
                    + (redact ? "" : " with \(expect.source.jsonText)")
            }
        case .failed(let report, let instance):
            let why = report.error ?? "it could not be opened"
            guard let expect else {
                result.status = .error
                result.message = "target \(name) could not be started: \(why)"
                return result
            }
            guard let exit = instance.exit else {
                result.status = .failed
                result.message = "target \(name) did not come up, but no QEMU exit was seen for expect to match: \(why)"
                return result
            }
            let value = ProcessOutcome.value(exit: exit, stderr: instance.stderrTail)
            result.response = value
            if let mismatch = expect.mismatch(in: value) {
                result.status = .failed
                result.message = redact ? "QEMU \(exit), which does not match expect"
                    : "QEMU \(exit), which does not match expect: \(mismatch)" + ProcessOutcome.detail(instance.stderrTail)
            }
        }
        return result
    }
}

/// How a QEMU ended, as `start` and `stop` steps' `expect` see it and their `response` writes it.
enum ProcessOutcome {
    /// `{exit: INT|null, signal: NAME|null, stderr: TEXT|null}`.
    static func value(exit: ProcessExit?, stderr: String?) -> JSONValue {
        [
            "exit": exit?.status.map { .int(Int64($0)) } ?? .null,
            "signal": exit?.signalName.map(JSONValue.string) ?? .null,
            "stderr": stderr.map(JSONValue.string) ?? .null,
        ]
    }

    /// `; its last output: …` (two lines at most), or nothing.
    static func detail(_ stderr: String?) -> String {
        let lines = (stderr ?? "").split(separator: "\n", omittingEmptySubsequences: true).suffix(2)
        return lines.isEmpty ? "" : "; its last output: " + lines.joined(separator: " | ")
    }
}
