import ArgumentParser
import FoundationEssentials
import Logging
import QMP

/// `--log-level LEVEL` (or `QMPBOOK_LOG_LEVEL`): the engine's swift-log
/// output on stderr, off by default. The flag wins over the variable.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: ArgumentHelp(
        "Log the engine's messages (frames, commands, replies, events) on stderr from this level up: trace, debug, info, notice, warning or error (default: off, or QMPBOOK_LOG_LEVEL).",
        valueName: "LEVEL"))
    var level: Logger.Level?

    /// The environment variable read when `--log-level` is not given.
    static let environmentVariable = "QMPBOOK_LOG_LEVEL"

    func validate() throws {
        if level == nil, let text = ProcessInfo.processInfo.environment[Self.environmentVariable], !text.isEmpty,
           Logger.Level(rawValue: text) == nil {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("\(Self.environmentVariable)='\(text)' is not a log level (\(levels))")
        }
    }

    /// The level in force: the flag's, else the environment's, else nil (no logging).
    var effectiveLevel: Logger.Level? {
        level ?? ProcessInfo.processInfo.environment[Self.environmentVariable].flatMap(Logger.Level.init(rawValue:))
    }

    /// Monitor options whose logger writes to stderr at the level in force (a no-op logger without one).
    var monitorOptions: MonitorOptions {
        guard let level = effectiveLevel else { return MonitorOptions() }
        var logger = Logger(label: "qmp") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return MonitorOptions(logger: logger)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
