import QMP

/// How a run, a check or any qmpbook command ended, as its exit status
/// (SPEC.md §4): the report's `exit_code`, ``PlaybookRunner/Result``,
/// ``PlaybookRunner/PreflightResult`` and the command line all use it.
///
/// ```swift
/// let result = await runner.run()
/// exit(result.exitStatus.code)       // 0, 1, 2, 3 or 128 + the signal
/// ExitStatus.interrupted(signal: SIGTERM).code   // 143
/// ```
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// Every step passed, or was skipped or ignored; a check found nothing (0).
    case passed
    /// A step failed: a QMP error, an unmet expectation, a timed-out wait, the deadline (1).
    case stepFailed
    /// A bad invocation or an invalid playbook: nothing was sent to any VM (2).
    case invalidInput
    /// A target could not be launched, reached or handshaken, or was lost; an output could not be written (3).
    case infrastructure
    /// A signal stopped it: 128 + the signal's number (SIGINT 130, SIGTERM 143).
    case interrupted(signal: Int32)

    /// The number the process exits with.
    public var code: Int32 {
        switch self {
        case .passed: 0
        case .stepFailed: 1
        case .invalidInput: 2
        case .infrastructure: 3
        case .interrupted(let signal): 128 + signal
        }
    }

    /// The status a code stands for (128 + N: interrupted by signal N); nil for any other code.
    public init?(code: Int32) {
        switch code {
        case 0: self = .passed
        case 1: self = .stepFailed
        case 2: self = .invalidInput
        case 3: self = .infrastructure
        case 129...191: self = .interrupted(signal: code - 128)
        default: return nil
        }
    }

    /// The status of a ``RunnerError`` of this kind.
    public init(_ kind: RunnerError.Kind) {
        switch kind {
        case .invalidInput: self = .invalidInput
        case .infrastructure: self = .infrastructure
        case .deadlinePassed: self = .stepFailed
        }
    }

    /// `SIGINT`, `SIGTERM`, …: a signal's name as messages say it (`signal N` for one without a name).
    public static func name(ofSignal number: Int32) -> String {
        System.signalName(number)
    }

    /// `0`, `1`, `130 (SIGINT)`.
    public var description: String {
        if case .interrupted(let signal) = self { return "\(code) (\(Self.name(ofSignal: signal)))" }
        return String(code)
    }
}
