import FoundationEssentials
import Libvirt
import Playbook
import QMP
import Synchronization

/// How `qmpbook run --inventory` runs a fleet: the members' run options and
/// the fleet's own outputs.
public struct FleetOptions: Sendable {
    /// What every member's run takes (`--var`, `--tag`, `--timeout`…); its
    /// report, JUnit and HTML paths are the fleet's to set, not used as given.
    public var run = RunOptions()
    /// At most this many members at once (`--parallel`, default 4).
    public var parallel = 4
    /// The folder of the member reports (`MEMBER.report.json`), created when missing.
    public var reportDirectory = "."
    /// The fleet report (`-`: stdout).
    public var reportPath = "fleet-report.json"
    /// One testsuite per member (`--junit`).
    public var junitPath: String?
    /// The fleet's HTML page (`--html`), a row per member linking to the
    /// member's own page (``htmlPath(of:)``, beside its report).
    public var htmlPath: String?

    public init() {}

    /// The report path of member `name`.
    public func reportPath(of name: String) -> String {
        var folder = reportDirectory
        while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
        return (folder.isEmpty ? "." : folder) + "/" + name + ".report.json"
    }

    /// The HTML page of member `name`, beside its report.
    public func htmlPath(of name: String) -> String {
        String(reportPath(of: name).dropLast(".report.json".count)) + ".html"
    }
}

/// Runs one playbook over many members (SPEC.md §11) in this process: each
/// member a ``PlaybookRunner`` of its own (its targets, variables, run
/// folder and report), at most ``FleetOptions/parallel`` at once, in
/// inventory order as slots free up.
///
/// ```swift
/// let fleet = try InventoryLoader.load(inventory: "lab.yaml", playbook: "check.yaml").get()
/// var options = FleetOptions()
/// options.reportDirectory = "reports"
/// try FleetRunner.validate(fleet.playbook, members: fleet.inventory.members, options: options)
/// let runner = FleetRunner(playbook: fleet.playbook, members: fleet.inventory.members, options: options)
/// let result = await runner.run()
/// exit(result.exitStatus.code)
/// ```
///
/// Members share nothing but the process: one member's lost target, dead
/// QEMU or deadline ends that member only. ``run()`` never throws and writes
/// the fleet report (and JUnit file) in every outcome. ``interrupt(signal:)``
/// interrupts every running member as a signal interrupts a run (their
/// `always` steps run, their QEMUs stop, their reports say `interrupted`)
/// and starts no more. A member's report is dropped once observers had it:
/// what the fleet holds per member is its entry and, with `--junit`, its
/// rendered testsuite.
public final class FleetRunner: Sendable {
    public let playbook: Playbook
    public let members: [InventoryMember]
    public let options: FleetOptions
    public let observer: MultiplexFleetObserver

    private struct State {
        var interruption: Int32?
        var signals: [Int32] = []
        var running: [String: PlaybookRunner] = [:]
    }

    private let state = Mutex(State())

    /// What a fleet produced.
    public struct Result: Sendable {
        public var report: FleetReport
        /// The report's status, or ``ExitStatus/infrastructure`` when a passing fleet could not write an output.
        public var exitStatus: ExitStatus
        public var outputErrors: [String]
    }

    public init(playbook: Playbook, members: [InventoryMember], options: FleetOptions, observers: [any FleetObserver] = []) {
        self.playbook = playbook
        self.members = members
        self.options = options
        self.observer = MultiplexFleetObserver(observers)
    }

    /// Checks the fleet before anything runs: `--parallel`, every member's
    /// options against its playbook (``PlaybookRunner/validate(_:options:streams:)``),
    /// libvirt member targets against the steps on them, and that no output
    /// is an input or shares a file with another (member reports included).
    /// - Throws: ``RunnerError`` (invalid input) naming the problem.
    public static func validate(
        _ playbook: Playbook, members: [InventoryMember], options: FleetOptions, inventory: String? = nil,
        streams: [(option: String, path: String)] = []
    ) throws(RunnerError) {
        guard options.parallel >= 1 else {
            throw RunnerError(.invalidInput, "--parallel \(options.parallel): run at least 1 member at a time")
        }
        guard !members.isEmpty else { throw RunnerError(.invalidInput, "the fleet has no members") }
        var outputs: [(option: String, path: String)] = [("--report", options.reportPath)]
        if let path = options.junitPath { outputs.append(("--junit", path)) }
        if let path = options.htmlPath { outputs.append(("--html", path)) }
        try OutputPaths.check(outputs + streams, playbook: playbook.path)
        if let inventory {
            try OutputPaths.check(outputs + streams, playbook: inventory)
        }
        for member in members {
            let memberPlaybook = member.applied(to: playbook)
            var memberOptions = options.run
            memberOptions.reportPath = options.reportPath(of: member.name)
            memberOptions.junitPath = nil
            memberOptions.htmlPath = nil
            do throws(RunnerError) {
                try PlaybookRunner.validate(memberPlaybook, options: memberOptions)
                for target in member.targets {
                    guard case .libvirt(let libvirt) = target.mode, let uri = libvirt.literalURI else { continue }
                    try PlaybookRunner.checkLibvirtSteps(of: target, uri: uri, in: memberPlaybook)
                }
            } catch {
                throw RunnerError(.invalidInput, "member \(member.name): \(error.message)")
            }
        }
    }

    /// Stops the fleet as a signal would: every running member is
    /// interrupted (``PlaybookRunner/interrupt(signal:)``: a second signal
    /// also cuts their `always` steps short) and no member starts after it.
    /// The fleet ends with exit 128 + the first signal. Safe from any thread.
    public func interrupt(signal: Int32) {
        let running = state.withLock { state -> [PlaybookRunner] in
            if state.interruption == nil { state.interruption = signal }
            state.signals.append(signal)
            return Array(state.running.values)
        }
        for runner in running { runner.interrupt(signal: signal) }
    }

    /// Runs every member; see the type's documentation.
    public func run() async -> Result {
        let clockStart = ContinuousClock.now
        var report = FleetReport(
            playbook: .init(path: playbook.path, name: playbook.name, sha256: playbook.sha256), started: Date())
        var outputErrors: [String] = []
        if case .failure(let error) = System.makeDirectories(options.reportDirectory) {
            outputErrors.append("cannot create the report folder \(options.reportDirectory): \(error)")
        }

        var entries = [FleetReport.Member?](repeating: nil, count: members.count)
        var suites = [JUnitWriter.Suite?](repeating: nil, count: members.count)
        let wantsJUnit = options.junitPath != nil
        await withTaskGroup(of: (Int, FleetReport.Member, JUnitWriter.Suite?).self) { group in
            var next = 0
            func startNext() -> Bool {
                guard next < members.count, state.withLock({ $0.interruption == nil }) else { return false }
                let index = next
                next += 1
                group.addTask { [self] in
                    let (entry, memberReport) = await runMember(members[index])
                    let suite = wantsJUnit ? memberReport.map { JUnitWriter.suite(of: $0, name: entry.name) } : nil
                    observer.memberFinished(entry, report: memberReport)
                    return (index, entry, suite)
                }
                return true
            }
            for _ in 0..<min(options.parallel, members.count) { _ = startNext() }
            for await (index, entry, suite) in group {
                entries[index] = entry
                suites[index] = suite
                _ = startNext()
            }
        }

        let interruption = state.withLock { $0.interruption }
        report.interruption = interruption
        for (index, member) in members.enumerated() where entries[index] == nil {
            let signal = interruption ?? System.signalTerminate
            let entry = FleetReport.Member(
                name: member.name, outcome: .interrupted, exitStatus: .interrupted(signal: signal), report: nil,
                message: "not started: the fleet was interrupted by \(ExitStatus.name(ofSignal: signal))", duration: nil)
            entries[index] = entry
            observer.memberFinished(entry, report: nil)
            if wantsJUnit { suites[index] = Self.notStartedSuite(entry) }
        }
        report.members = entries.compactMap { $0 }
        report.finished = Date()
        report.duration = ContinuousClock.now - clockStart

        do {
            try ReportWriter.write(report.jsonValue, to: options.reportPath)
        } catch {
            outputErrors.append(error.message)
        }
        if let path = options.junitPath {
            do {
                try ReportWriter.write(Array(JUnitWriter.document(suites.compactMap { $0 }, time: report.duration).utf8), to: path)
            } catch {
                outputErrors.append(error.message)
            }
        }
        if let path = options.htmlPath {
            let page = HTMLFleetPage.renderedBytes(report) { member in
                member.report == nil ? nil : Self.link(from: path, to: options.htmlPath(of: member.name))
            }
            do {
                try ReportWriter.write(page, to: path)
            } catch {
                outputErrors.append(error.message)
            }
        }
        observer.fleetFinished(report)
        outputErrors += observer.outputErrors
        var status = report.exitStatus
        if !outputErrors.isEmpty, status == .passed { status = .infrastructure }
        return Result(report: report, exitStatus: status, outputErrors: outputErrors)
    }

    /// Runs one member's whole playbook: its own runner, options and report.
    private func runMember(_ member: InventoryMember) async -> (FleetReport.Member, RunReport?) {
        var memberOptions = options.run
        let reportPath = options.reportPath(of: member.name)
        memberOptions.reportPath = reportPath
        memberOptions.junitPath = nil
        memberOptions.htmlPath = options.htmlPath.map { _ in options.htmlPath(of: member.name) }
        // The playbook's vars, then the member's, then --var; ${member.…} always the member's.
        var variables: [String: JSONValue] = [:]
        for (name, value) in member.vars.members { variables[name] = value }
        for (name, value) in options.run.variables { variables[name] = value }
        variables[Variables.memberName] = member.builtin
        memberOptions.variables = variables

        observer.memberStarted(member.name)
        let runner = PlaybookRunner(
            playbook: member.applied(to: playbook), options: memberOptions,
            observers: [observer.runObserver(for: member.name)])
        let signals = state.withLock { state -> [Int32] in
            state.running[member.name] = runner
            return state.signals
        }
        for signal in signals { runner.interrupt(signal: signal) }
        let result = await runner.run()
        _ = state.withLock { $0.running.removeValue(forKey: member.name) }
        let written = !result.outputErrors.contains { $0.contains(reportPath) }
        let entry = FleetReport.Member(
            name: member.name, outcome: result.exitStatus == .infrastructure && result.report.outcome == .passed ? .error : result.report.outcome,
            exitStatus: result.exitStatus, report: written ? reportPath : nil,
            message: result.report.message ?? result.outputErrors.first, duration: result.report.duration)
        return (entry, result.report)
    }

    /// The link from the page at `page` to the file at `target`: relative when
    /// the target is in the page's folder or below it, else its absolute path.
    static func link(from page: String, to target: String) -> String {
        let base = page.standardizedPath().pathFolder
        let file = target.standardizedPath()
        let folder = base.hasSuffix("/") ? base : base + "/"
        let path = file.hasPrefix(folder) ? String(file.dropFirst(folder.count)) : file
        return path.percentEncodedPath
    }

    /// The testsuite of a member that never ran: one `<error>` case.
    private static func notStartedSuite(_ entry: FleetReport.Member) -> JUnitWriter.Suite {
        let message = JUnitWriter.escape(entry.message ?? "not started")
        let xml = "  <testsuite name=\"\(JUnitWriter.escape(entry.name))\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000\">\n"
            + "    <testcase name=\"setup\" classname=\"\(JUnitWriter.escape(entry.name))\" time=\"0.000\">\n"
            + "      <error message=\"\(message)\" type=\"interrupted\">\(message)</error>\n"
            + "    </testcase>\n  </testsuite>\n"
        return JUnitWriter.Suite(xml: xml, tests: 1, failures: 0, errors: 1)
    }
}
