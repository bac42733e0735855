import ArgumentParser

/// qmpbook's exit codes (SPEC.md §4), in one place.
enum ExitStatus: Int32 {
    /// Every step passed, or was skipped or ignored.
    case success = 0
    /// A step failed: a QMP error, an unmet expectation, a timed-out wait, the deadline.
    case stepFailed = 1
    /// Bad invocation or invalid playbook: nothing was sent to any VM.
    case invalidInput = 2
    /// A target could not be launched, reached or handshaken, or was lost.
    case infrastructure = 3
    case interrupted = 130
    case terminated = 143

    var exitCode: ExitCode { ExitCode(rawValue) }
}

/// A failure that ends a command: one line for people, and the exit status.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var status: ExitStatus

    var description: String { message }
}

extension ParsableCommand {
    /// Runs `body`; a ``CommandFailure`` prints its message as one line on
    /// stderr and exits with its status, instead of argument-parser's default.
    func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as CommandFailure {
            StandardError.writeLine("qmpbook: \(failure.message)")
            throw failure.status.exitCode
        }
    }
}
