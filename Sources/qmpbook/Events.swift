import ArgumentParser
import FoundationEssentials
import Playbook
import QMP
import Runner

extension Qmpbook {
    /// `qmpbook events ADDR [--event NAME]... [--match JSON] [--count N] [--timeout DUR]`
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "events",
            abstract: "Print QMP events as JSON lines.",
            discussion: """
            Prints each event ({"event": …, "data": …, "timestamp": …}) on its own line \
            as it arrives. Without --count it runs until --timeout passes (exit 0) or, with \
            no --timeout, until the connection closes (exit 3). With --count N it exits 0 \
            after N events, or 1 when --timeout passes first.
            """
        )

        @Argument(help: "The monitor: unix:PATH, tcp:HOST:PORT, a socket path, or libvirt:URI#DOMAIN.")
        var address: String

        @Option(name: .customLong("event"), help: ArgumentHelp("Only events with this name (repeatable).", valueName: "NAME"))
        var names: [String] = []

        @Option(help: ArgumentHelp("Only events whose data matches this pattern, written as JSON in the playbook match language ({\"device\": \"tablet0\"}, {\"$regex\": …}, …).", valueName: "JSON"))
        var match: String?

        @Option(help: "Stop after this many events.")
        var count: Int?

        @Option(parsing: .unconditional, help: ArgumentHelp("How long to wait for events, from the end of the handshake (which has at least 10s).", valueName: "DUR"))
        var timeout: String?

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            try await reportingFailures {
                let address = try MonitorCommandLine.address(address)
                let timeout = try timeout.map { try MonitorCommandLine.duration($0, option: "--timeout") }
                let pattern = try match.map { text -> Pattern in
                    let value = try MonitorCommandLine.json(text, what: "--match")
                    do {
                        return try Pattern(value)
                    } catch {
                        throw CommandFailure(message: "--match: \(error)", status: .invalidInput)
                    }
                }
                if let count, count < 1 {
                    throw CommandFailure(message: "--count must be at least 1", status: .invalidInput)
                }
                var subscription: EventSubscription?
                let connectTimeout = max(timeout ?? .zero, .seconds(10))
                let monitor = try await MonitorCommandLine.connect(address, timeout: connectTimeout, options: logging.monitorOptions) { monitor in
                    subscription = monitor.events()
                }
                let deadline = timeout.map { ContinuousClock.now + $0 }
                guard let events = subscription else { return }
                var printed = 0
                while count.map({ printed < $0 }) ?? true {
                    let event: Event?
                    do {
                        event = try await events.next(timeout: deadline.map { max($0 - ContinuousClock.now, .zero) })
                    } catch {
                        await monitor.disconnect()
                        if count == nil { return }
                        throw CommandFailure(message: "\(printed) of \(count ?? 0) events arrived within \(self.timeout ?? "")", status: .stepFailed)
                    }
                    guard let event else {
                        let reason = events.closeReason ?? monitor.closeReason ?? .connectionClosed()
                        await monitor.disconnect()
                        throw MonitorCommandLine.failure(reason)
                    }
                    guard names.isEmpty || names.contains(event.name) else { continue }
                    if let pattern, !pattern.matches(.object(event.data)) { continue }
                    MonitorCommandLine.writeLine(event.json.jsonText)
                    printed += 1
                }
                await monitor.disconnect()
            }
        }
    }
}
