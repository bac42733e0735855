import ArgumentParser
import FoundationEssentials
import Playbook
import QMP
import Runner

extension Qmpbook {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate playbooks without touching any VM, or with --live against their QEMUs' schemas.",
            discussion: """
                Prints every problem as FILE:LINE:COLUMN: MESSAGE on standard error and \
                exits with 2, or prints a one-line summary and exits with 0. With --live, \
                each valid playbook's targets are also launched or connected, every step is \
                checked against the target's QMP schema (the preflight of 'run'; nothing but \
                the handshake and query-qmp-schema is sent), and launched QEMUs are stopped \
                again; a target that cannot be reached exits with 3.
                """
        )

        @Argument(help: "The playbooks to check.", completion: .file(extensions: ["yaml", "yml"]))
        var playbooks: [String] = []

        @OptionGroup var inputs: PlaybookInputOptions

        @Option(help: ArgumentHelp("Check the playbook with this inventory: every member's targets and variables (a fleet; see Docs/fleets.md).", valueName: "FILE"), completion: .file(extensions: ["yaml", "yml"]))
        var inventory: String?

        @Flag(help: "Also launch or connect the targets and check every step against their QMP schemas.")
        var live = false

        @Flag(name: .shortAndLong, help: "With --live: also print the targets as they open and the preflight's time.")
        var verbose = false

        @Option(help: ArgumentHelp("How to print the problems: text (FILE:LINE:COLUMN: MESSAGE on stderr) or json (one document on stdout).", valueName: "FORMAT"))
        var format: CheckOutput.Format = .text

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            if !live && !inputs.targets.isEmpty { throw ValidationError("--target needs --live") }
            if !live && verbose { throw ValidationError("--verbose needs --live") }
        }

        func run() async throws {
            let output = CheckOutput(format: format)
            defer { output.finish(playbooks: playbooks.count) }
            try await reportingFailures {
                guard !playbooks.isEmpty else {
                    throw CommandFailure(message: "check: give at least one playbook", status: .invalidInput)
                }
                if let inventory {
                    guard playbooks.count == 1 else {
                        throw CommandFailure(message: "check --inventory: give one playbook, the one the inventory is for", status: .invalidInput)
                    }
                    return try await checkFleet(inventory: inventory, output: output)
                }
                let overrides = try inputs.parsedVariables()
                let targetOverrides = try inputs.parsedTargets()
                var problems = 0
                var failedFiles = 0
                var steps = 0
                var targetCount = 0
                var loaded: [Playbook] = []
                for path in playbooks {
                    switch PlaybookLoader.load(path: path, variables: overrides) {
                    case .success(let playbook):
                        steps += playbook.allSteps.count
                        targetCount += playbook.targets.count
                        loaded.append(playbook)
                    case .failure(let failure):
                        failedFiles += 1
                        problems += failure.diagnostics.count
                        for diagnostic in failure.diagnostics {
                            output.problem(diagnostic)
                        }
                    }
                }
                for name in targetOverrides.keys.sorted() where !loaded.contains(where: { $0.target(named: name) != nil }) {
                    throw CommandFailure(message: "--target \(name): no playbook has a target '\(name)'", status: .invalidInput)
                }
                var unreachable = 0
                if live {
                    for playbook in loaded {
                        let found = await checkLive(playbook, variables: overrides, targets: targetOverrides, output: output)
                        if case .interrupted = found.exitStatus { throw found.exitStatus.exitCode }
                        if found.exitStatus == .infrastructure { unreachable += 1 }
                        if found.exitStatus == .invalidInput {
                            failedFiles += 1
                            problems += max(found.problems.count, 1)
                        }
                    }
                }
                if unreachable > 0 {
                    let what = unreachable == 1 ? "a playbook's targets" : "the targets of \(unreachable) playbooks"
                    let also = problems > 0 ? " (and \(problems) \(problems == 1 ? "problem" : "problems") found)" : ""
                    throw CommandFailure(message: "could not reach \(what)\(also)", status: .infrastructure)
                }
                guard problems == 0 else {
                    let files = playbooks.count == 1 ? "" : " in \(failedFiles) of \(playbooks.count) playbooks"
                    throw CommandFailure(message: "\(problems) \(problems == 1 ? "problem" : "problems")\(files)", status: .invalidInput)
                }
                let what = playbooks.count == 1 ? playbooks[0] : "\(playbooks.count) playbooks"
                let checked = live ? ", preflight passed" : ""
                output.line("\(what): ok (\(steps.counted("step")), \(targetCount.counted("target"))\(checked))")
            }
        }

        /// `check PLAYBOOK --inventory FILE`: both files, every member's targets against the playbook;
        /// with `--live`, each member's preflight (`from-libvirt` asked for its members too).
        private func checkFleet(inventory: String, output: CheckOutput) async throws {
            let overrides = try inputs.parsedVariables()
            if !inputs.targets.isEmpty {
                throw CommandFailure(message: "--target cannot be used with --inventory: give the members their targets in the inventory", status: .invalidInput)
            }
            let definition: FleetDefinition
            switch InventoryLoader.load(inventory: inventory, playbook: playbooks[0], variables: overrides) {
            case .success(let value):
                definition = value
            case .failure(let failure):
                for diagnostic in failure.diagnostics { output.problem(diagnostic) }
                let count = failure.diagnostics.count
                throw CommandFailure(message: "\(count) \(count == 1 ? "problem" : "problems")", status: .invalidInput)
            }
            var members = definition.inventory.members
            if live { members += try await FleetMembers.discover(definition, variables: overrides) }
            try FleetMembers.checkUnique(members)
            var options = FleetOptions()
            options.run.variables = overrides
            options.reportPath = "/dev/null"
            do throws(RunnerError) {
                try FleetRunner.validate(definition.playbook, members: members, options: options)
            } catch {
                output.problem(Diagnostic(error.message, at: nil), text: "\(inventory): \(error.message)")
                throw CommandFailure(message: "1 problem", status: .invalidInput)
            }
            var problems = 0
            var unreachable = 0
            if live {
                for member in members {
                    var variables = overrides
                    for (name, value) in member.vars.members where overrides[name] == nil { variables[name] = value }
                    variables[Variables.memberName] = member.builtin
                    var playbook = member.applied(to: definition.playbook)
                    playbook.path = "\(playbook.path) [\(member.name)]"
                    let found = await checkLive(playbook, variables: variables, targets: [:], output: output)
                    if case .interrupted = found.exitStatus { throw found.exitStatus.exitCode }
                    if found.exitStatus == .infrastructure { unreachable += 1 }
                    if found.exitStatus == .invalidInput { problems += max(found.problems.count, 1) }
                }
            }
            if unreachable > 0 {
                throw CommandFailure(message: "could not reach the targets of \(unreachable.counted("member"))", status: .infrastructure)
            }
            if problems > 0 {
                throw CommandFailure(message: "\(problems) \(problems == 1 ? "problem" : "problems")", status: .invalidInput)
            }
            let steps = definition.playbook.steps.count + definition.playbook.always.count
            let discovered = definition.inventory.discoveries.isEmpty || live
                ? "" : ", \(definition.inventory.discoveries.count.counted("from-libvirt entry", plural: "from-libvirt entries")) not asked (--live asks)"
            output.line("\(playbooks[0]) with \(inventory): ok (\(members.count.counted("member")), \(steps.counted("step"))\(discovered)\(live ? ", preflight passed" : ""))")
        }

        /// Runs the live preflight of one playbook and prints what it found:
        /// problems and unreachable targets on stderr, a line per playbook on stdout when it passed.
        private func checkLive(
            _ playbook: Playbook, variables: [String: JSONValue], targets: [String: String], output: CheckOutput
        ) async -> PlaybookRunner.PreflightResult {
            var options = RunOptions()
            options.variables = variables
            options.targetOverrides = targets.filter { playbook.target(named: $0.key) != nil }
            options.monitorOptions = logging.monitorOptions
            var failure = PlaybookRunner.PreflightResult()
            do throws(RunnerError) {
                try PlaybookRunner.validate(playbook, options: options)
            } catch {
                output.problem(Diagnostic(error.message, at: nil), text: "\(playbook.path): \(error.message)")
                failure.exitStatus = .invalidInput
                failure.message = error.message
                return failure
            }
            let progress = ProgressPrinter(verbosity: verbose && format == .text ? .normal : .quiet)
            let runner = PlaybookRunner(playbook: playbook, options: options, observers: [progress])
            let watcher = SignalWatcher { runner.interrupt(signal: $0) }
            let result = await runner.preflightOnly()
            watcher.cancel()
            for problem in result.problems { output.problem(problem.diagnostic) }
            for target in result.targets {
                guard let error = target.error else { continue }
                let place = playbook.target(named: target.name)?.location
                output.problem(
                    Diagnostic("target \(target.name): \(error)", at: place),
                    text: "\(playbook.path): target \(target.name): \(error)")
            }
            if result.exitStatus != .passed, result.problems.isEmpty, !result.targets.contains(where: { $0.error != nil }),
               let message = result.message {
                output.problem(Diagnostic(message, at: nil), text: "\(playbook.path): \(message)")
            }
            if result.exitStatus == .passed {
                let described = result.targets.map { target -> String in
                    var text = target.name
                    if let qemu = target.qemu {
                        text += ": QEMU \(qemu.major).\(qemu.minor).\(qemu.micro)"
                    } else if playbook.target(named: target.name)?.autostart == false {
                        text += ": not opened (autostart: false)"
                    }
                    if let cached = result.schemaFromCache[target.name] {
                        text += cached ? ", schema from the cache" : ", schema fetched"
                    }
                    return text
                }
                let count = result.checkedSteps
                var line = "\(playbook.path): preflight ok (\(count.counted("step")) checked; \(described.joined(separator: "; ")))"
                if verbose, let duration = result.duration {
                    line += " in \(Self.milliseconds(duration)) ms"
                }
                output.line(line)
            }
            return result
        }

        /// `3.142`: a duration in milliseconds with three decimals.
        private static func milliseconds(_ duration: Duration) -> String {
            let (seconds, attoseconds) = duration.components
            let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
            let fraction = String(microseconds % 1000)
            return "\(microseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
        }
    }
}
