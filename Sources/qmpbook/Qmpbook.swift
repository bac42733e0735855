import ArgumentParser
import FoundationEssentials
import QMP
import Runner

/// The process's entry. Synchronous, so that `--version` starts no thread
/// and the main thread parks once the work is handed to the cooperative
/// pool: an `async` main leaves the main thread through `dispatch_main`,
/// whose `pthread_exit` loads libgcc_s to unwind it, a shared library the
/// install otherwise never opens (Docs/performance.md, start-up). Nothing
/// in qmpbook runs on the main actor.
@main
enum Entry {
    static func main() {
        // Before any file is opened: a closed stdout must not lend its number to one.
        _ = System.closedStandardDescriptors
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let status = FastPath.runAtOnce(arguments) { System.exit(status) }
        Task.detached { System.exit(await Qmpbook.run(arguments)) }
        System.parkForever()
    }
}

struct Qmpbook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qmpbook",
        abstract: "Run declarative QMP playbooks against QEMU.",
        version: ToolVersion.current,
        subcommands: [Run.self, Check.self, Exec.self, Events.self, ShellCommand.self, Schema.self]
    )

    /// Parses and runs a subcommand and returns the exit status, mapping
    /// argument-parser's usage errors (its exit code 64) to qmpbook's exit 2
    /// for a bad invocation.
    static func run(_ arguments: [String]) async -> Int32 {
        if let status = await FastPath.run(arguments) { return status }
        do {
            try refuseHelpOnUnknownSubcommand(arguments)
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
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
