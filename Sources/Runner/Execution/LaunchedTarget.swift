import QMP

/// A QEMU that qmpbook starts and owns outside a playbook (`qmpbook shell
/// --launch -- ARGV…`), opened and closed exactly as a `launch:` target is.
///
/// ```swift
/// let target = try await LaunchedTarget.launch(["qemu-system-x86_64", "-M", "none"], timeout: .seconds(10))
/// let status = try await target.monitor.execute("query-status")
/// await target.close()   // quit, grace, SIGTERM, SIGKILL; its run folder removed
/// ```
///
/// The QEMU gets its QMP socket and output file in a private run folder,
/// runs in its own process group with a watchdog (``LaunchedProcess``), so
/// it never outlives qmpbook, even when qmpbook is killed.
public final class LaunchedTarget: Sendable {
    private let session: TargetSession
    private let folder: RunDirectory
    /// The command as given, without the `-qmp` qmpbook adds.
    public let command: [String]

    private init(session: TargetSession, folder: RunDirectory, command: [String]) {
        self.session = session
        self.folder = folder
        self.command = command
    }

    /// The QMP connection, handshaken.
    public var monitor: any Monitor { session.monitor }
    public var greeting: Greeting { session.greeting }
    /// The QEMU process.
    public var process: LaunchedProcess? { session.process }

    /// Starts `command` with a QMP socket of qmpbook's own and connects to it within `timeout`.
    /// - Throws: ``RunnerError`` (infrastructure) when QEMU cannot be started, exits early,
    ///   or does not answer in time (QEMU is stopped then); invalid input for an empty command.
    public static func launch(
        _ command: [String], environment: [String: String] = [:], timeout: Duration,
        options: MonitorOptions = .init()
    ) async throws(RunnerError) -> LaunchedTarget {
        guard !command.isEmpty, !command[0].isEmpty else { throw RunnerError(.invalidInput, "the launch command is empty") }
        let folder = try RunDirectory()
        let plan = TargetSession.Plan.launching(command, environment: environment, in: folder, stem: "vm")
        let opening = await TargetSession.open(
            name: "vm", plan: plan, capabilities: [], timeout: timeout, exitNoticeWait: .milliseconds(500),
            monitorOptions: options, onEvent: { _, _ in })
        guard let session = opening.session else {
            if let process = opening.process { await process.stop(grace: .seconds(1), terminateGrace: .seconds(1)) }
            folder.remove()
            throw RunnerError(.infrastructure, opening.report.error ?? "QEMU could not be launched")
        }
        return LaunchedTarget(session: session, folder: folder, command: command)
    }

    /// Why the target is gone, in words (QEMU's exit status and last output, or why the connection closed).
    public func lossReason() async -> String {
        await session.lossReason()
    }

    /// Stops QEMU (`quit`, `grace`, SIGTERM, `grace`, SIGKILL), closes the connection and removes the run folder.
    public func close(grace: Duration = .seconds(5)) async {
        await session.close(grace: grace, expectingExit: true)
        folder.remove()
    }
}
