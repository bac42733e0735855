import ArgumentParser
import FoundationEssentials
import Playbook
import QMP
import Runner

extension Qmpbook.Run {
    /// `run PLAYBOOK --inventory FILE`: the playbook over every member (SPEC.md §11).
    func runFleet() async throws {
        try await reportingFailures {
            guard let inventory else { return }
            let runOptions = try makeOptions()
            let definition: FleetDefinition
            switch InventoryLoader.load(inventory: inventory, playbook: playbook, variables: runOptions.variables) {
            case .success(let value):
                definition = value
            case .failure(let failure):
                for diagnostic in failure.diagnostics { StandardError.writeLine(diagnostic.description) }
                let count = failure.diagnostics.count
                throw CommandFailure(message: "\(count) \(count == 1 ? "problem" : "problems"); nothing was run", status: .invalidInput)
            }
            var members = definition.inventory.members
            members += try await FleetMembers.discover(definition, variables: runOptions.variables)
            try FleetMembers.checkUnique(members)
            members = try FleetMembers.limited(members, to: limit)

            var options = FleetOptions()
            options.run = runOptions
            options.parallel = parallel ?? 4
            let stem = String(PlaybookRunner.defaultReportPath(for: playbook).dropLast(".report.json".count))
            options.reportPath = report ?? stem + ".fleet-report.json"
            options.reportDirectory = reportDirectory ?? stem + ".reports"
            options.junitPath = junit
            options.htmlPath = html
            do throws(RunnerError) {
                try FleetRunner.validate(
                    definition.playbook, members: members, options: options, inventory: inventory,
                    streams: jsonl.map { [("--jsonl", $0)] } ?? [])
            } catch {
                throw CommandFailure(message: error.message, status: .invalidInput)
            }

            var outputErrors: [String] = []
            let toStandardOutput = report == ReportWriter.standardOutput || jsonl == ReportWriter.standardOutput
            var observers: [any FleetObserver] = [
                FleetProgressPrinter(total: members.count, quiet: quiet, color: color, standardError: toStandardOutput),
            ]
            if let jsonl {
                do throws(RunnerError) {
                    observers.append(try FleetJSONLinesWriter(path: jsonl))
                } catch {
                    outputErrors.append(error.message)
                }
            }
            let runner = FleetRunner(playbook: definition.playbook, members: members, options: options, observers: observers)
            let watcher = SignalWatcher { runner.interrupt(signal: $0) }
            SignalWatcher.ignoreBrokenPipes()
            let result = await runner.run()
            watcher.cancel()
            outputErrors += result.outputErrors
            for problem in outputErrors { StandardError.writeLine("qmpbook: \(problem)") }
            var status = result.exitStatus
            if !outputErrors.isEmpty, status == .passed { status = .infrastructure }
            if status != .passed { throw status.exitCode }
        }
    }
}

extension FleetProgressPrinter {
    /// The fleet's progress printer, deciding colors and the live line as ``ProgressPrinter`` does for a run.
    convenience init(total: Int, quiet: Bool, color choice: ColorChoice, standardError: Bool) {
        let terminal = TerminalAbilities(choice, standardError: standardError)
        self.init(total: total, quiet: quiet, color: terminal.color, liveLine: terminal.liveLine, standardError: standardError)
    }
}

/// Who a fleet runs against: the inventory's members, those `from-libvirt`
/// finds, narrowed by `--limit`. Shared by `run` and `check`.
enum FleetMembers {
    /// The members every `from-libvirt` entry finds (running domains whose names match).
    /// - Throws: a ``CommandFailure``: exit 3 when libvirt cannot be asked, 2 for a name that cannot be a member's.
    static func discover(_ definition: FleetDefinition, variables: [String: JSONValue]) async throws -> [InventoryMember] {
        var found: [InventoryMember] = []
        for discovery in definition.inventory.discoveries {
            let context = Variables(vars: definition.playbook.vars, overrides: variables, playbookDirectory: definition.playbook.directory)
            let uri: String
            do throws(TemplateError) {
                let value = try Template.resolve(string: discovery.uri, with: context)
                guard let text = value.stringValue else { throw TemplateError("it is \(value.typeName), not a text") }
                uri = text
            } catch {
                throw CommandFailure(message: "\(discovery.location): from-libvirt uri: \(error.message)", status: .invalidInput)
            }
            let names: [String]
            do throws(RunnerError) {
                names = try await LibvirtDiscovery.runningDomains(uri: uri, timeout: discovery.timeout ?? .seconds(10))
            } catch {
                throw CommandFailure(message: "\(discovery.location): from-libvirt \(uri): \(error.message)", status: .infrastructure)
            }
            for name in names where discovery.domains.matches(.string(name)) {
                guard InventoryMember.isValidName(name) else {
                    throw CommandFailure(message: "\(discovery.location): from-libvirt \(uri): domain '\(name)' cannot be a member's name (letters, digits, '.', '_' and '-')", status: .invalidInput)
                }
                found.append(discovery.member(domain: name, uri: uri))
            }
        }
        return found
    }

    /// - Throws: a ``CommandFailure`` (exit 2) for a name two members share.
    static func checkUnique(_ members: [InventoryMember]) throws {
        var seen: [String: SourceLocation] = [:]
        for member in members {
            if let first = seen[member.name] {
                throw CommandFailure(message: "\(member.location): member '\(member.name)' is also at \(first): member names must be unique", status: .invalidInput)
            }
            seen[member.name] = member.location
        }
    }

    /// The members `--limit` keeps (all without one).
    /// - Throws: a ``CommandFailure`` (exit 2) when no member matches.
    static func limited(_ members: [InventoryMember], to limit: [String]) throws -> [InventoryMember] {
        guard !limit.isEmpty else { return members }
        let globs = limit.map(NameGlob.init)
        let kept = members.filter { member in globs.contains { $0.matches(member.name) } }
        guard !kept.isEmpty else {
            var names = members.prefix(10).map(\.name).joined(separator: ", ")
            if members.count > 10 { names += ", …" }
            let patterns = limit.map { "'\($0)'" }.joined(separator: ", ")
            throw CommandFailure(message: "--limit \(patterns): no member matches (the members: \(names))", status: .invalidInput)
        }
        return kept
    }
}
