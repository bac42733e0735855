import QMP
import Runner

/// The invocations run without argument-parser: `qmpbook --version` and a
/// plain `qmpbook exec ADDR COMMAND [ARGUMENTS-JSON]` (no options).
///
/// argument-parser builds every command's argument set by reflection
/// (Mirror, then a protocol-conformance lookup per property) several times
/// per parse: two thirds of `exec`'s instructions before this path
/// (Docs/performance.md, start-up). Anything else — an option, `help`, a
/// word starting with `-`, a log level from the environment — goes the
/// whole way through argument-parser, so both paths take the same input to
/// the same ``ExecRequest`` and every message and exit status stays its own.
enum FastPath {
    /// Runs what needs no task (`--version`) and returns the exit status;
    /// nil for anything else.
    static func runAtOnce(_ arguments: [String]) -> Int32? {
        guard arguments == ["--version"] else { return nil }
        System.write(ToolVersion.current + "\n", to: 1)
        return 0
    }

    /// Runs `arguments` (without the program name) when this path takes
    /// them and returns the exit status; nil when argument-parser must.
    /// (`--version` never gets here: ``Entry`` answers it with ``runAtOnce(_:)``.)
    static func run(_ arguments: [String]) async -> Int32? {
        guard let request = execRequest(arguments) else { return nil }
        do {
            try await request.run()
            return 0
        } catch let failure as CommandFailure {
            failure.writeMessage()
            return failure.status.code
        } catch {
            StandardError.writeLine("qmpbook: \(error)")
            return ExitStatus.infrastructure.code
        }
    }

    /// The request for `exec ADDR COMMAND [JSON]` with every word a plain
    /// value, and no log level in the environment to check.
    static func execRequest(_ arguments: [String]) -> ExecRequest? {
        guard arguments.first == "exec", (3...4).contains(arguments.count) else { return nil }
        let words = arguments.dropFirst()
        guard words.allSatisfy({ !$0.hasPrefix("-") }) else { return nil }
        if let level = System.environmentValue(LoggingOptions.environmentVariable), !level.isEmpty { return nil }
        let values = Array(words)
        return ExecRequest(address: values[0], command: values[1], arguments: values.count == 3 ? values[2] : nil, exitsWhenPrinted: true)
    }
}
