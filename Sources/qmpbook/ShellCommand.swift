import ArgumentParser
import FoundationEssentials
import Libvirt
import QMP
import Runner
import Shell

extension Qmpbook {
    /// `qmpbook shell ADDR` or `qmpbook shell --launch -- ARGV…`
    struct ShellCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "shell",
            abstract: "An interactive QMP shell that completes from QEMU's schema and can record a playbook.",
            discussion: """
            On a terminal: line editing, history, Tab completion of commands, argument names and \
            values, events shown as they arrive. From a pipe: one command a line, replies and events \
            as JSON lines; exit 1 when a line failed. See Docs/shell.md.
            """
        )

        @Argument(help: "The monitor: unix:PATH, tcp:HOST:PORT, a socket path, or libvirt:URI#DOMAIN (not with --launch).")
        var address: String?

        @Flag(help: "Start QEMU from the command after -- and own it, as a playbook's launch: target.")
        var launch = false

        @Argument(parsing: .postTerminator, help: ArgumentHelp("With --launch: the QEMU command.", valueName: "ARGV"))
        var command: [String] = []

        @Option(help: ArgumentHelp("Record the session as a playbook in this file.", valueName: "FILE.yaml"))
        var record: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("How long to wait to connect and for the handshake (and for each reply, at least 60s).", valueName: "DUR"))
        var timeout: String = "10s"

        @Option(help: "Colour replies and events: auto (on a terminal, without NO_COLOR), always, never.")
        var color: ColorChoice = .auto

        @Flag(help: "Keep no history file.")
        var noHistory = false

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            if launch {
                guard address == nil else { throw ValidationError("--launch takes the QEMU command after --, not an address ('\(address ?? "")')") }
                guard !command.isEmpty else { throw ValidationError("--launch needs the QEMU command after --, e.g. qmpbook shell --launch -- qemu-system-x86_64 -M pc -S") }
            } else {
                guard address != nil else { throw ValidationError("name an address (unix:PATH, tcp:HOST:PORT, libvirt:URI#DOMAIN) or use --launch -- ARGV…") }
                guard command.isEmpty else { throw ValidationError("a command after -- needs --launch") }
            }
            if let record, !(record.hasSuffix(".yaml") || record.hasSuffix(".yml")) {
                throw ValidationError("--record writes a playbook: name a .yaml file ('\(record)')")
            }
        }

        func run() async throws {
            try await reportingFailures {
                let timeout = try MonitorCommandLine.duration(timeout, option: "--timeout")
                let target = try await open(timeout: timeout)
                let environment = ProcessInfo.processInfo.environment
                let colored = switch color {
                case .always: true
                case .never: false
                case .auto: System.isTerminal(1) && environment["NO_COLOR"] == nil
                }
                let options = ShellOptions(
                    recordPath: record, historyPath: noHistory ? nil : ShellOptions.defaultHistoryPath, color: colored,
                    commandTimeout: max(timeout, .seconds(60)))
                SignalWatcher.ignoreBrokenPipes()
                let shell = QMPShell(target: target, options: options)
                let watcher = SignalWatcher { shell.interrupt(signal: $0) }
                defer { watcher.cancel() }
                let ending = await shell.run()
                if ending.status != .passed {
                    throw CommandFailure(message: ending.message ?? "the shell failed", status: ending.status)
                }
            }
        }

        /// Reaches the address as `exec` does, or launches QEMU as a `launch:` target.
        private func open(timeout: Duration) async throws -> ShellTarget {
            if launch {
                let launched: LaunchedTarget
                do throws(RunnerError) {
                    launched = try await LaunchedTarget.launch(command, timeout: timeout, options: logging.monitorOptions)
                } catch {
                    throw CommandFailure(message: error.message, status: ExitStatus(error.kind))
                }
                return ShellTarget(
                    monitor: launched.monitor, greeting: launched.greeting, events: launched.monitor.events(),
                    description: "launched (pid \(launched.process?.pid ?? 0))", reached: .launch(command),
                    close: { await launched.close() }, lossReason: { await launched.lossReason() })
            }
            let address = try MonitorCommandLine.address(address ?? "")
            nonisolated(unsafe) var subscription: EventSubscription?
            let monitor = try await MonitorCommandLine.connect(address, timeout: timeout, options: logging.monitorOptions) { monitor in
                subscription = monitor.events()
            }
            let reached: ShellTarget.Reached = switch address {
            case .socket(let socket): .connect(socket.description)
            case .libvirt(let libvirt): .libvirt(uri: libvirt.uri.text, domain: libvirt.domain)
            }
            guard let greeting = monitor.greeting else {
                await monitor.disconnect()
                throw CommandFailure(message: "\(address): no QMP greeting", status: .infrastructure)
            }
            return ShellTarget(
                monitor: monitor, greeting: greeting, events: subscription ?? monitor.events(),
                description: "at \(address)", reached: reached,
                close: { await monitor.disconnect() },
                lossReason: { "the QMP connection closed: \(monitor.closeReason?.message ?? "closed")" })
        }
    }
}
