import ArgumentParser
import FoundationEssentials
import Libvirt
import Playbook
import QMP
import Runner

extension Qmpbook {
    /// `qmpbook exec ADDR COMMAND [ARGUMENTS-JSON] [--fd PATH[:MODE]] [--timeout DUR]`
    struct Exec: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "exec",
            abstract: "Run one QMP command and print its reply as JSON.",
            discussion: """
            Prints QEMU's reply ({"return": …}) as one line of JSON and exits 0. A QMP \
            error is printed on stderr as one line and exits 1; a connection problem \
            (unreachable socket, no greeting, lost connection, no reply in time) exits 3; \
            bad arguments exit 2.
            """
        )

        @Argument(help: "The monitor: unix:PATH, tcp:HOST:PORT, a socket path, or libvirt:URI#DOMAIN.")
        var address: String

        @Argument(help: "The QMP command, e.g. query-status.")
        var command: String

        @Argument(help: "The command's arguments as a JSON object.")
        var arguments: String?

        @Option(name: .customLong("fd"), help: ArgumentHelp(
            "A file to open and pass with the command by SCM_RIGHTS (for getfd, add-fd).",
            discussion: "MODE is read, write (truncates, like a playbook's fd: mode: write), read-write or append (default read-write); the writing modes create a missing file (0600).",
            valueName: "PATH[:MODE]"))
        var fd: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("How long to wait to connect, for the handshake, and for the reply.", valueName: "DUR"))
        var timeout: String = ExecRequest.defaultTimeout

        @Flag(help: "Print the reply indented over several lines.")
        var pretty = false

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            try await reportingFailures {
                let request = ExecRequest(
                    address: address, command: command, arguments: arguments, fd: fd, timeout: timeout,
                    pretty: pretty, monitorOptions: logging.monitorOptions)
                try await request.run()
            }
        }
    }
}

/// One `exec`, its words as typed: what `Qmpbook.Exec` parses into and
/// what ``FastPath`` builds without argument-parser.
struct ExecRequest {
    /// `--timeout`'s default.
    static let defaultTimeout = "10s"

    var address: String
    var command: String
    var arguments: String?
    var fd: String?
    var timeout = defaultTimeout
    var pretty = false
    var monitorOptions = MonitorOptions()
    /// Ends the process once a successful reply is printed, from where the
    /// reply arrived, leaving the connection to close with the process
    /// (``FastPath``: nothing runs after the command).
    var exitsWhenPrinted = false

    /// Connects, runs the command, prints the reply; a ``CommandFailure`` says why not.
    func run() async throws {
        let address = try MonitorCommandLine.address(address)
        let timeout = try MonitorCommandLine.duration(timeout, option: "--timeout")
        guard !command.trimmingWhitespace().isEmpty else {
            throw CommandFailure(message: "COMMAND is empty: name a QMP command, such as query-status", status: .invalidInput)
        }
        let arguments = try arguments.map(MonitorCommandLine.argumentsObject)
        if fd != nil, case .libvirt(let libvirt) = address, libvirt.uri.isRemote {
            throw CommandFailure(
                message: "--fd: libvirt cannot pass a file descriptor over the remote URI \(libvirt.uri) (it closes the whole connection when asked); use a local URI (qemu:///system, qemu+unix://…)",
                status: .invalidInput)
        }
        let file = try fd.map(MonitorCommandLine.openFile)
        defer { file?.close() }

        let monitor = try await MonitorCommandLine.open(address, timeout: timeout, options: monitorOptions)
        // On a socket, the exchange runs on the connection's reader thread:
        // each reply resumes it there instead of waking a pool thread.
        let reply = try await withTaskExecutorPreference((monitor as? SocketMonitor)?.executor) { () async throws -> Reply in
            try await MonitorCommandLine.handshake(monitor, timeout: timeout)
            let reply: Reply
            do throws(QMPError) {
                reply = try await monitor.request(command, arguments: arguments, passing: file?.descriptor, timeout: timeout)
            } catch {
                await monitor.disconnect()
                throw MonitorCommandLine.failure(error)
            }
            if exitsWhenPrinted, case .success = reply {
                print(reply)
                System.exit(0)
            }
            await monitor.disconnect()
            return reply
        }
        file?.close()
        switch reply {
        case .success:
            print(reply)
        case .failure(let error):
            throw CommandFailure(message: QMPError.commandFailed(error, command: command).description, status: .stepFailed)
        }
    }

    private func print(_ reply: Reply) {
        MonitorCommandLine.writeLine(pretty ? reply.json.prettyJSONText : reply.json.jsonText)
    }
}

/// What `exec` and `events` share: parsing their arguments, connecting,
/// and turning engine errors into exit statuses.
enum MonitorCommandLine {
    /// What `exec` and `events` reach: a QMP socket, or a domain through libvirt.
    enum Address: CustomStringConvertible {
        case socket(MonitorAddress)
        case libvirt(LibvirtAddress)

        var description: String {
            switch self {
            case .socket(let address): return address.description
            case .libvirt(let address): return address.description
            }
        }
    }

    /// `unix:PATH`, `tcp:HOST:PORT`, a socket path, or `libvirt:URI#DOMAIN`.
    static func address(_ text: String) throws -> Address {
        if LibvirtAddress.isLibvirt(text) {
            do {
                return .libvirt(try LibvirtAddress(parsing: text))
            } catch {
                throw CommandFailure(message: error.description, status: .invalidInput)
            }
        }
        do {
            return .socket(try MonitorAddress(parsing: text))
        } catch {
            throw CommandFailure(message: error.description, status: .invalidInput)
        }
    }

    /// `250ms`, `5s`, `2m`, `1h`, or a bare number of seconds.
    static func duration(_ text: String, option: String) throws -> Duration {
        guard let duration = DurationText.parse(text) else {
            throw CommandFailure(message: "\(option): \(DurationText.problem(with: text))", status: .invalidInput)
        }
        return duration
    }

    static func json(_ text: String, what: String) throws -> JSONValue {
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw CommandFailure(message: "\(what) is not valid JSON: \(error)", status: .invalidInput)
        }
    }

    static func argumentsObject(_ text: String) throws -> JSONObject {
        guard case .object(let object) = try json(text, what: "ARGUMENTS-JSON") else {
            throw CommandFailure(message: "ARGUMENTS-JSON must be a JSON object, like {\"id\": \"tablet0\"}", status: .invalidInput)
        }
        return object
    }

    /// Opens `PATH[:MODE]` for `--fd`.
    static func openFile(_ text: String) throws -> OpenedFile {
        var path = text
        var mode = OpenedFile.Mode.readWrite
        if let colon = text.lastIndex(of: ":"), let parsed = OpenedFile.Mode(rawValue: String(text[text.index(after: colon)...])) {
            path = String(text[..<colon])
            mode = parsed
        }
        guard !path.isEmpty else { throw CommandFailure(message: "--fd: the path is empty", status: .invalidInput) }
        do {
            return try OpenedFile(path: path, mode: mode, create: mode != .read)
        } catch {
            throw CommandFailure(message: "--fd: \(error.message)", status: .invalidInput)
        }
    }

    /// Dials and performs the handshake, each within `timeout`.
    static func connect(
        _ address: Address, timeout: Duration, options: MonitorOptions = .init(),
        beforeHandshake: (any Monitor) -> Void = { _ in }
    ) async throws -> any Monitor {
        let monitor = try await open(address, timeout: timeout, options: options)
        beforeHandshake(monitor)
        try await handshake(monitor, timeout: timeout)
        return monitor
    }

    /// Dials the socket, or opens the domain through libvirt, without the handshake.
    static func open(_ address: Address, timeout: Duration, options: MonitorOptions = .init()) async throws -> any Monitor {
        let monitor: any Monitor
        do throws(QMPError) {
            switch address {
            case .socket(let address):
                monitor = try await SocketMonitor.dial(address, timeout: timeout, options: options)
            case .libvirt(let address):
                // libvirt is loaded (dlopen) here, only for a libvirt address.
                monitor = try await LibvirtMonitor.open(
                    uri: address.uri, domain: .existing(address.domain), timeout: timeout, options: options)
            }
        } catch {
            throw failure(error)
        }
        return monitor
    }

    /// The greeting and `qmp_capabilities` within `timeout`; disconnects when they fail.
    static func handshake(_ monitor: any Monitor, timeout: Duration) async throws {
        do throws(QMPError) {
            _ = try await monitor.connect(timeout: timeout)
        } catch {
            await monitor.disconnect()
            throw failure(error)
        }
    }

    /// The exit status for an engine error: QMP errors are 1, everything else is the connection's (3).
    static func failure(_ error: QMPError) -> CommandFailure {
        switch error.code {
        case .commandFailed: return CommandFailure(message: error.description, status: .stepFailed)
        case .invalidCommand, .unsupported: return CommandFailure(message: error.description, status: .invalidInput)
        default: return CommandFailure(message: error.description, status: .infrastructure)
        }
    }

    /// Writes one line to stdout at once (unbuffered, so a reader sees it now).
    static func writeLine(_ line: String) {
        System.write(line + "\n", to: 1)
    }
}
