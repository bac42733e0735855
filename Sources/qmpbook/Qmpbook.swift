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

    /// argument-parser's entry point, with its usage-error status (64) mapped
    /// to SPEC.md §4's "bad invocation" (2).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
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
