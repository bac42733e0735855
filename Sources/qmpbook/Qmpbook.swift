import ArgumentParser
import FoundationEssentials
import QMP
import Runner

@main
struct Qmpbook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qmpbook",
        abstract: "Run declarative QMP playbooks against QEMU.",
        version: ToolVersion.current,
        subcommands: [Run.self, Check.self, Exec.self, Events.self, ShellCommand.self, Schema.self]
    )

    /// Parses and runs a subcommand, mapping argument-parser's usage errors
    /// (its exit code 64) to qmpbook's exit 2 for a bad invocation.
    static func main() async {
        // Before any file is opened: a closed stdout must not lend its number to one.
        _ = System.closedStandardDescriptors
        if let status = await FastPath.run(Array(CommandLine.arguments.dropFirst())) { System.exit(status) }
        do {
            try refuseHelpOnUnknownSubcommand(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                StandardError.writeLine(fullMessage(for: error))
                System.exit(ExitStatus.invalidInput.code)
            }
            exit(withError: error)
        }
    }

    /// `qmpbook help NAME` for a NAME that is no subcommand is a bad
    /// invocation (exit 2), not the overview with exit 0.
    private static func refuseHelpOnUnknownSubcommand(_ arguments: [String]) throws {
        guard arguments.count >= 2, arguments[0] == "help" else { return }
        let names = configuration.subcommands.compactMap { $0.configuration.commandName }
        guard !names.contains(arguments[1]) else { return }
        throw ValidationError("help: '\(arguments[1])' is not a subcommand; the subcommands are \(names.joined(separator: ", "))")
    }
}
