import ArgumentParser
import Runner

extension ExitStatus {
    /// The status as argument-parser's exit: the one place qmpbook's codes (SPEC.md §4) meet it.
    var exitCode: ExitCode { ExitCode(code) }
}

/// A failure that ends a command: one line for people, and the exit status.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var status: ExitStatus

    var description: String { message }

    /// Prints the failure as qmpbook's one line on stderr.
    func writeMessage() {
        StandardError.writeLine("qmpbook: \(message)")
    }
}

extension ParsableCommand {
    /// Runs `body`; a ``CommandFailure`` prints its message as one line on
    /// stderr and exits with its status, instead of argument-parser's default.
    func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as CommandFailure {
            failure.writeMessage()
            throw failure.status.exitCode
        }
    }
}
