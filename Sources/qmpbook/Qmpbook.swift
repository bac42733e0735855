import ArgumentParser
import Foundation

@main
struct Qmpbook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qmpbook",
        abstract: "Run declarative QMP playbooks against QEMU.",
        version: "0.1.0",
        subcommands: [Run.self, Check.self, Exec.self, Events.self, Schema.self]
    )

    /// Parses and runs a subcommand, mapping argument-parser's usage errors
    /// (its exit code 64) to qmpbook's exit 2 for a bad invocation.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                StandardError.writeLine(fullMessage(for: error))
                Foundation.exit(ExitStatus.invalidInput.rawValue)
            }
            exit(withError: error)
        }
    }
}
