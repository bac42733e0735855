import FoundationEssentials
import Libvirt
import Synchronization
import Playbook
import QMP

/// One target while a run drives it: the QMP connection after its
/// handshake, the event log recording from the moment of connecting, and,
/// for `launch:`, the QEMU process qmpbook owns.
///
/// ``open(_:address:…)`` reaches the target (starting QEMU first for
/// `launch`); ``close(grace:)`` ends it: launched QEMUs get `quit`, a grace
/// period, SIGTERM, SIGKILL; `connect` and `listen` targets are only
/// disconnected.
final class TargetSession: Sendable {
    let name: String
    let monitor: any Monitor
    let events: TargetEvents
    let process: LaunchedProcess?
    let greeting: Greeting
    /// The console and agent channels (SPEC.md §9), opened and closed with the target.
    let channels: TargetChannels
    private let exitNoticeWait: Duration
    private let pump: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let subscription: Mutex<EventSubscription?> = Mutex(nil)
    private let quitStep: Mutex<String?> = Mutex(nil)
    /// Why the target was lost before the run closed it (QEMU exited, the connection closed), if it was.
    private let lost: Mutex<String?> = Mutex(nil)

    private init(
        name: String, monitor: any Monitor, events: TargetEvents, process: LaunchedProcess?, greeting: Greeting,
        channels: TargetChannels, exitNoticeWait: Duration
    ) {
        self.channels = channels
        self.name = name
        self.monitor = monitor
        self.events = events
        self.process = process
        self.greeting = greeting
        self.exitNoticeWait = exitNoticeWait
    }

    /// How a target is reached, with templates already resolved.
    enum Plan: Sendable {
        case connect(MonitorAddress)
        case listen(MonitorAddress)
        case launch(command: [String], environment: [String: String], socket: String, output: String)
        /// A domain libvirt manages, found or created at `uri`.
        case libvirt(uri: LibvirtURI, domain: LibvirtDomain)
    }

    /// The outcome of opening a target: a session, or why not; either way what the report says of it.
    struct Opening: Sendable {
        var session: TargetSession?
        var report: TargetReport
        /// A QEMU that was started even though the target could not be opened (to be stopped).
        var process: LaunchedProcess?
        /// When the opening began (set by the runner's opening).
        var started: Date?
    }

    /// Reaches the target within `timeout` (connect retried until then; for a
    /// launch, QEMU's early exit ends the attempt with its status and output).
    static func open(
        name: String, plan: Plan, capabilities: [String], timeout: Duration, exitNoticeWait: Duration,
        monitorOptions: MonitorOptions = .init(), channels channelPlan: ChannelPlan = .none, onEvent: @escaping @Sendable (String, RecordedEvent) -> Void
    ) async -> Opening {
        let deadline = ContinuousClock.now + timeout
        var report: TargetReport
        var process: LaunchedProcess?
        let monitor: any Monitor
        var channels: TargetChannels?
        do throws(RunnerError) {
            switch plan {
            case .connect(let address):
                report = TargetReport(name: name, mode: .connect, address: address.description)
                monitor = try await dialRetrying(address, until: deadline, process: nil, timeout: timeout, options: monitorOptions)
            case .listen(let address):
                report = TargetReport(name: name, mode: .listen, address: address.description)
                // Raced so that a signal does not wait out the accept timeout.
                let accepted = await race(timeout: nil) { () async -> Result<SocketMonitor, QMPError> in
                    do throws(QMPError) {
                        return .success(try await SocketMonitor.listen(on: address, timeout: timeout, options: monitorOptions))
                    } catch {
                        return .failure(error)
                    }
                }
                switch accepted {
                case .finished(.success(let accepted)):
                    monitor = accepted
                case .finished(.failure(let error)) where error.code == .timeout:
                    throw RunnerError(
                        .infrastructure, "no QEMU connected to \(address) within \(describe(timeout)): \(error.message)")
                case .finished(.failure(let error)):
                    // Failed at once (`Address already in use`): no waiting to speak of.
                    throw RunnerError(.infrastructure, error.message)
                case .timedOut, .cancelled:
                    throw RunnerError(.infrastructure, "interrupted while listening on \(address)")
                }
            case .launch(let command, let environment, let socket, let output):
                report = TargetReport(name: name, mode: .launch, address: "unix:\(socket)")
                let launched = try await LaunchedProcess.launch(command, environment: environment, outputPath: output)
                process = launched
                report.process = TargetReport.Process(pid: launched.pid)
                // Before QMP: QEMU waits for qmpbook on the console it wired, so nothing printed is lost.
                channels = try await TargetChannels.openConsole(channelPlan, until: deadline, process: launched)
                monitor = try await dialRetrying(.unix(path: socket), until: deadline, process: launched, timeout: timeout, options: monitorOptions)
            case .libvirt(let uri, let domain):
                report = TargetReport(name: name, mode: .libvirt, address: plan.address)
                let opened = try await openLibvirt(uri: uri, domain: domain, timeout: timeout, options: monitorOptions)
                report.address = LibvirtAddress(uri: uri, domain: opened.domainName).description
                report.libvirt = TargetReport.Libvirt(uri: uri.text, domain: opened.domainName, created: opened.createdDomain)
                monitor = opened
            }
            if channels == nil { channels = try await TargetChannels.openConsole(channelPlan, until: deadline, process: nil) }
        } catch {
            await channels?.close()
            let failedReport = TargetReport(name: name, mode: plan.mode, address: plan.address)
            var opening = Opening(session: nil, report: failedReport, process: process)
            if let process {
                opening.report.process = TargetReport.Process(pid: process.pid, exit: process.exit)
            }
            opening.report.error = error.message
            return opening
        }

        return await attach(
            name: name, monitor: monitor, report: report, process: process, capabilities: capabilities,
            deadline: deadline, exitNoticeWait: exitNoticeWait, channels: channels ?? .none, onEvent: onEvent)
    }

    /// Makes a session of a monitor that is connected but not yet handshaken:
    /// subscribes to its events (so the log records from the greeting on),
    /// negotiates `capabilities` by `deadline`, and starts recording. Every
    /// target kind ends here once it has a monitor.
    static func attach(
        name: String, monitor: any Monitor, report: TargetReport, process: LaunchedProcess? = nil,
        capabilities: [String] = [], deadline: ContinuousClock.Instant, exitNoticeWait: Duration = .milliseconds(500),
        channels: TargetChannels = .none, onEvent: @escaping @Sendable (String, RecordedEvent) -> Void = { _, _ in }
    ) async -> Opening {
        var report = report
        let events = TargetEvents { event in onEvent(name, event) }
        // Subscribe before the handshake: events from the greeting on are recorded.
        // Unbounded: the target's log (TargetEvents) is what caps what is kept,
        // so the engine never drops an event a pending wait may be waiting for
        // while the pump catches up with a burst.
        let subscription = monitor.events(bufferLimit: .max)
        let greeting: Greeting
        do {
            let remaining = max(deadline - ContinuousClock.now, .milliseconds(1))
            // A signal closes the connection, which ends the handshake at once.
            greeting = try await withTaskCancellationHandler {
                try await monitor.connect(capabilities: capabilities, timeout: remaining)
            } onCancel: {
                monitor.close(reason: QMPError.connectionClosed("interrupted during the handshake"))
            }
        } catch {
            subscription.cancel()
            await monitor.disconnect()
            var reason = "the QMP handshake with \(report.address ?? name) failed: \((error as? QMPError)?.message ?? "\(error)")"
            if (error as? QMPError)?.code == .timeout, monitor.greeting == nil, report.mode == .connect {
                // The usual cause: QEMU serves one client per monitor socket and queues the rest silently.
                reason += " (QEMU serves one QMP client per socket at a time: is another client connected?)"
            }
            if let process, let exit = await process.waitForExit(timeout: .milliseconds(300)) {
                reason = "QEMU \(exit) during the QMP handshake" + outputSuffix(process)
            }
            report.error = reason
            report.process?.exit = process?.exit
            await channels.close()
            return Opening(session: nil, report: report, process: process)
        }
        do throws(RunnerError) {
            try await channels.openAgent(until: deadline, process: process, options: MonitorOptions())
        } catch {
            subscription.cancel()
            await monitor.disconnect()
            await channels.close()
            report.error = error.message
            report.process?.exit = process?.exit
            return Opening(session: nil, report: report, process: process)
        }
        let session = TargetSession(
            name: name, monitor: monitor, events: events, process: process, greeting: greeting,
            channels: channels, exitNoticeWait: exitNoticeWait)
        session.startPump(subscription)
        if let process {
            process.onExit { exit in
                // QEMU's last words — the reply to `quit`, SHUTDOWN — may still be in
                // the socket: the reader gets them and then the end of the connection
                // (QEMU's side closed with it) before the exit closes the monitor.
                Self.drain(monitor, within: .milliseconds(500))
                monitor.close(reason: .peerExited("QEMU \(exit)"))
            }
        }
        report.qemu = TargetReport.QEMU(
            major: greeting.version.major, minor: greeting.version.minor, micro: greeting.version.micro,
            package: greeting.version.package)
        report.capabilities = greeting.capabilities
        report.enabled = greeting.enabled
        return Opening(session: session, report: report, process: process)
    }

    /// Waits, up to `limit`, for the monitor's reader to read to the end of
    /// the connection on its own (on the thread that noticed QEMU's exit).
    private static func drain(_ monitor: any Monitor, within limit: Duration) {
        let end = ContinuousClock.now + limit
        while monitor.closeReason == nil, ContinuousClock.now < end {
            System.sleep(for: .milliseconds(2))
        }
    }

    /// Dials until the socket answers or `deadline` passes; a launched QEMU that exits ends the attempt.
    private static func dialRetrying(
        _ address: MonitorAddress, until deadline: ContinuousClock.Instant, process: LaunchedProcess?,
        timeout: Duration, options: MonitorOptions
    ) async throws(RunnerError) -> SocketMonitor {
        var lastError = ""
        while true {
            if let process, let exit = process.exit {
                throw RunnerError(.infrastructure, "QEMU \(exit) before its QMP socket answered" + outputSuffix(process))
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { break }
            do {
                return try await SocketMonitor.dial(address, timeout: min(remaining, .seconds(2)), options: options)
            } catch {
                lastError = error.message
            }
            if Task.isCancelled { throw RunnerError(.infrastructure, "interrupted while connecting to \(address)") }
            try? await Task.sleep(for: .milliseconds(25))
        }
        if let process, let exit = await process.waitForExit(timeout: .milliseconds(100)) {
            throw RunnerError(.infrastructure, "QEMU \(exit) before its QMP socket answered" + outputSuffix(process))
        }
        throw RunnerError(.infrastructure, "could not connect to \(address) within \(describe(timeout)): \(lastError)")
    }

    /// Opens a libvirt domain's monitor (connection, lookup or creation) within `timeout`.
    private static func openLibvirt(
        uri: LibvirtURI, domain: LibvirtDomain, timeout: Duration, options: MonitorOptions
    ) async throws(RunnerError) -> LibvirtMonitor {
        do throws(QMPError) {
            return try await LibvirtMonitor.open(uri: uri, domain: domain, timeout: timeout, options: options)
        } catch {
            switch error.code {
            case .cancelled: throw RunnerError(.infrastructure, "interrupted while opening the libvirt target at \(uri)")
            default: throw RunnerError(.infrastructure, error.message)
            }
        }
    }

    /// `; its last output: …` for messages, or nothing when QEMU printed nothing.
    static func outputSuffix(_ process: LaunchedProcess) -> String {
        let tail = process.outputTail(lines: 5)
        guard !tail.isEmpty else { return "" }
        return "; its last output: " + tail.split(separator: "\n").joined(separator: " | ")
    }

    private func startPump(_ subscription: EventSubscription) {
        self.subscription.withLock { $0 = subscription }
        let events = self.events
        let task = Task {
            // One hop per batch: what arrived while the last batch was recorded goes together.
            for await event in subscription {
                await events.record([RecordedEvent(event)] + subscription.drain().map(RecordedEvent.init))
            }
            let reason = await self.lossReason()
            await events.close(reason: reason)
        }
        pump.withLock { $0 = task }
    }

    /// Why the target is gone, in words: QEMU's exit status and last output
    /// when it was launched and has exited (waiting briefly for the exit to be
    /// noticed), else why the connection closed.
    func lossReason() async -> String {
        if let process, let exit = await process.waitForExit(timeout: exitNoticeWait) {
            return "QEMU \(exit)" + Self.outputSuffix(process)
        }
        if monitor is LibvirtMonitor { return monitor.closeReason?.message ?? "the libvirt target closed" }
        return "the QMP connection closed: \(monitor.closeReason?.message ?? "closed")"
    }

    /// The step that told this QEMU to `quit` (its ``Step/reference``), or nil.
    /// From then on its exit is expected: the target is closed, not lost (SPEC.md §7.2).
    var quitBy: String? { quitStep.withLock { $0 } }

    /// Records that `step` told this QEMU to `quit` (the first such step counts).
    func markQuit(by step: String) {
        quitStep.withLock { $0 = $0 ?? step }
    }

    /// Waits up to `timeout` for the connection to end on its own (the peer
    /// closed it, or its QEMU exited) and the event log to be complete.
    func waitUntilDisconnected(timeout: Duration) async -> Bool {
        let task = pump.withLock { $0 }
        guard let task else { return true }
        if case .finished = await race(timeout: timeout, { await task.value }) { return true }
        return false
    }

    /// The report entry for this target now.
    func report(base: TargetReport) async -> TargetReport {
        var report = base
        report.protocolErrors = monitor.protocolErrorCount
        report.eventsDropped = subscription.withLock { $0?.droppedCount ?? 0 } + (await events.dropped)
        if let lost = lost.withLock({ $0 }) { report.error = "lost during the run: \(lost)" }
        channels.report(into: &report)
        if let process {
            report.process = TargetReport.Process(pid: process.pid, exit: process.exit, stderrTail: process.outputTail())
        }
        return report
    }

    /// Ends the target: a launched QEMU is stopped (`quit`, `grace`, SIGTERM,
    /// `grace`, SIGKILL); then the connection is closed and the event log is
    /// fully recorded.
    ///
    /// - Parameter expectingExit: the caller ends the instance on purpose (a
    ///   `stop` step), so a QEMU that has exited already was not lost; nor is
    ///   one a step told to `quit`.
    func close(grace: Duration, expectingExit: Bool = false) async {
        if !expectingExit, quitBy == nil { channels.noteLoss() }
        // Gone before the run ended it: the connection closed, or the QEMU exited (its monitor may not be closed yet).
        if monitor.closeReason != nil || process?.exit != nil, !expectingExit, quitBy == nil {
            let reason = await lossReason()
            lost.withLock { $0 = reason }
        }
        if let process {
            let monitor = self.monitor
            await process.stop(
                quit: { _ = try? await monitor.request("quit", timeout: .seconds(1)) },
                grace: grace, terminateGrace: grace)
        }
        await monitor.disconnect()
        await channels.close()
        let task = pump.withLock { $0 }
        _ = await race(timeout: .seconds(2)) { await task?.value }
    }
}

extension TargetSession.Plan {
    /// How to launch `command`: with qmpbook's own QMP socket (`STEM.qmp`)
    /// and output file (`STEM.log`) in `folder`, the socket added to the
    /// command as `-qmp unix:…,server=on,wait=off`.
    static func launching(
        _ command: [String], environment: [String: String], in folder: RunDirectory, stem: String
    ) -> TargetSession.Plan {
        let socket = folder.file("\(stem).qmp")
        // QEMU's option syntax splits on commas; a comma in the path (from $TMPDIR) is written twice.
        let argv = command + ["-qmp", "unix:\(socket.replacing(",", with: ",,")),server=on,wait=off"]
        return .launch(command: argv, environment: environment, socket: socket, output: folder.file("\(stem).log"))
    }

    var mode: TargetKind {
        switch self {
        case .connect: return .connect
        case .listen: return .listen
        case .launch: return .launch
        case .libvirt: return .libvirt
        }
    }

    var address: String {
        switch self {
        case .connect(let address), .listen(let address): return address.description
        case .launch(_, _, let socket, _): return "unix:\(socket)"
        case .libvirt(let uri, .existing(let domain)): return LibvirtAddress(uri: uri, domain: domain).description
        case .libvirt(let uri, .create): return LibvirtAddress.prefix + uri.text
        }
    }
}

/// `5s`, `250ms`: a duration as playbooks write it (the engine's formatting).
func describe(_ duration: Duration) -> String {
    duration.readableDescription
}
