import ArgumentParser
import FoundationEssentials
import Playbook
import QMP
import Runner

extension Qmpbook {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a playbook against its QEMU targets and write a report.",
            discussion: """
                Connects to (or launches) every target, runs the steps in order, then the \
                'always' steps, stops the QEMUs it launched, and writes the JSON report \
                (every outcome, also on SIGINT/SIGTERM). Exit status: 0 passed, 1 a step \
                failed, 2 invalid playbook or invocation (nothing sent), 3 a target could \
                not be launched, reached or was lost, 130/143 interrupted. With --inventory, \
                the playbook runs once per member of the inventory (at most --parallel at \
                once), each member's report goes to --report-dir, --report is the fleet \
                report, and the exit status is the most severe of the members'.
                """
        )

        @Argument(help: "The playbook to run.", completion: .file(extensions: ["yaml", "yml"]))
        var playbook: String

        @Option(help: ArgumentHelp("Where to write the JSON report ('-' for stdout; default: PLAYBOOK-STEM.report.json).", valueName: "PATH"))
        var report: String?

        @Option(help: ArgumentHelp("Also write JUnit XML here.", valueName: "PATH"))
        var junit: String?

        @Option(help: ArgumentHelp("Also write the run as one self-contained HTML page (a timeline per target, the steps, the events) here; with --inventory, a page of the members linking to a page per member (beside its report).", valueName: "PATH"))
        var html: String?

        @Option(help: ArgumentHelp("Stream JSON lines (steps, events, then the report) here ('-' for stdout).", valueName: "PATH"))
        var jsonl: String?

        @OptionGroup var inputs: PlaybookInputOptions

        @Option(help: ArgumentHelp("Run the playbook once per member of this inventory (a fleet; see Docs/fleets.md).", valueName: "FILE"), completion: .file(extensions: ["yaml", "yml"]))
        var inventory: String?

        @Option(help: ArgumentHelp("With --inventory: run at most N members at once (default 4).", valueName: "N"))
        var parallel: Int?

        @Option(help: ArgumentHelp("With --inventory: run only the members whose names match GLOB (*, ?, [a-z]; repeatable).", valueName: "GLOB"))
        var limit: [String] = []

        @Option(name: .customLong("report-dir"), help: ArgumentHelp("With --inventory: the folder of the member reports, MEMBER.report.json (default: PLAYBOOK-STEM.reports).", valueName: "DIR"))
        var reportDirectory: String?

        @Option(name: .customLong("tag"), help: ArgumentHelp("Run only the steps with this tag (repeatable).", valueName: "T"))
        var tags: [String] = []

        @Option(name: .customLong("skip-tag"), help: ArgumentHelp("Do not run the steps with this tag (repeatable).", valueName: "T"))
        var skipTags: [String] = []

        @Option(name: .customLong("start-at"), help: ArgumentHelp("Skip the steps before the step with this id.", valueName: "ID"))
        var startAt: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("A deadline for the whole run, replacing the playbook's timeout (250ms, 5s, 2m).", valueName: "DUR"))
        var timeout: String?

        @Flag(name: .customLong("keep-run-dir"), help: "Keep the run directory (QMP sockets, QEMU output) after the run.")
        var keepRunDirectory = false

        @Option(name: .customLong("report-events"), help: ArgumentHelp("List at most N events in the report (default 10000; past it the oldest events no step took are left out, never one a step took), or 'all'.", valueName: "N|all"))
        var reportEvents: String?

        @Flag(name: .customLong("no-preflight"), help: "Do not check the steps against each target's QMP schema before running them.")
        var noPreflight = false

        @Flag(name: .shortAndLong, help: "Print only failures and the summary.")
        var quiet = false

        @Flag(name: .shortAndLong, help: "Also print every request, reply and event.")
        var verbose = false

        @Option(help: ArgumentHelp("Colour the progress output: auto, always or never.", valueName: "WHEN"))
        var color: ColorChoice = .auto

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be used together") }
            if report == "-" && jsonl == "-" {
                throw ValidationError("--report - and --jsonl - cannot both use stdout")
            }
            if inventory == nil {
                if parallel != nil { throw ValidationError("--parallel needs --inventory") }
                if !limit.isEmpty { throw ValidationError("--limit needs --inventory") }
                if reportDirectory != nil { throw ValidationError("--report-dir needs --inventory") }
            } else {
                if let parallel, parallel < 1 { throw ValidationError("--parallel \(parallel): run at least 1 member at a time") }
                if !inputs.targets.isEmpty { throw ValidationError("--target cannot be used with --inventory: give the members their targets in the inventory") }
            }
        }

        func run() async throws {
            if inventory != nil { return try await runFleet() }
            try await reportingFailures {
                let options = try makeOptions()
                let loaded: Playbook
                switch PlaybookLoader.load(path: playbook, variables: options.variables) {
                case .success(let value):
                    loaded = value
                case .failure(let failure):
                    for diagnostic in failure.diagnostics { StandardError.writeLine(diagnostic.description) }
                    let count = failure.diagnostics.count
                    throw CommandFailure(message: "\(playbook): \(count) \(count == 1 ? "problem" : "problems"); nothing was run", status: .invalidInput)
                }
                do throws(RunnerError) {
                    try PlaybookRunner.validate(loaded, options: options, streams: jsonl.map { [("--jsonl", $0)] } ?? [])
                } catch {
                    throw CommandFailure(message: error.message, status: .invalidInput)
                }
                var outputErrors: [String] = []
                let runner = PlaybookRunner(playbook: loaded, options: options, observers: observers(&outputErrors))
                let watcher = SignalWatcher { runner.interrupt(signal: $0) }
                // A closed stdout (`qmpbook run … | head`) must not kill the run before its report is written.
                SignalWatcher.ignoreBrokenPipes()
                let result = await runner.run()
                watcher.cancel()
                for problem in result.preflightProblems { StandardError.writeLine(problem.diagnostic.description) }
                if let message = result.report.message { StandardError.writeLine("qmpbook: \(message)") }
                outputErrors += result.outputErrors
                for problem in outputErrors { StandardError.writeLine("qmpbook: \(problem)") }
                var status = result.exitStatus
                if !outputErrors.isEmpty, status == .passed { status = .infrastructure }
                if status != .passed { throw status.exitCode }
            }
        }

        /// What follows the run: the progress lines (on stderr when stdout
        /// carries the report or the JSON lines), and the `--jsonl` stream;
        /// a stream that cannot be opened is an output error.
        private func observers(_ outputErrors: inout [String]) -> [any RunObserver] {
            let verbosity: ProgressPrinter.Verbosity = quiet ? .quiet : verbose ? .verbose : .normal
            let toStandardOutput = report == ReportWriter.standardOutput || jsonl == ReportWriter.standardOutput
            var observers: [any RunObserver] = [
                ProgressPrinter(verbosity: verbosity, color: color, standardError: toStandardOutput),
            ]
            if let jsonl {
                do throws(RunnerError) {
                    observers.append(try JSONLinesWriter(path: jsonl))
                } catch {
                    outputErrors.append(error.message)
                }
            }
            return observers
        }

        func makeOptions() throws -> RunOptions {
            var options = RunOptions()
            options.reportPath = report
            options.junitPath = junit
            options.htmlPath = html
            options.variables = try inputs.parsedVariables()
            options.targetOverrides = try inputs.parsedTargets()
            options.tags = tags
            options.skipTags = skipTags
            options.startAt = startAt
            if let timeout {
                guard let duration = DurationText.parse(timeout) else {
                    throw CommandFailure(message: "--timeout: \(DurationText.problem(with: timeout))", status: .invalidInput)
                }
                guard duration > .zero else {
                    throw CommandFailure(message: "--timeout '\(timeout)': a run's deadline must be longer than 0", status: .invalidInput)
                }
                options.timeout = duration
            }
            if let reportEvents {
                if reportEvents == "all" {
                    options.reportEventLimit = nil
                } else if let limit = Int(reportEvents), limit >= 0 {
                    options.reportEventLimit = limit
                } else {
                    throw CommandFailure(
                        message: "--report-events '\(reportEvents)': give a number of events (0 or more) or 'all'", status: .invalidInput)
                }
            }
            options.keepRunDirectory = keepRunDirectory
            options.preflight = !noPreflight
            options.monitorOptions = logging.monitorOptions
            return options
        }
    }
}
