import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

/// One mistake the preflight must catch, at the line and column of the
/// mistake, before anything is sent.
struct PreflightCase: CustomTestStringConvertible, Sendable {
    var label: String
    /// The bad step, appended after a valid first step (it starts on line 7).
    var step: String
    var line: Int
    var column: Int
    var message: String

    var testDescription: String { label }

    /// The playbook: a launched QEMU, a valid `query-status`, then the bad step.
    var playbook: String {
        """
        name: preflight case
        targets:
          vm: {launch: \(RunFixture.qemu)}
        steps:
          - name: fine
            execute: query-status
        \(step)
        """
    }

    /// The line qmpbook must print for the mistake.
    func expectedLine(in path: String) -> String {
        "\(path):\(line):\(column): target vm: \(message)"
    }

    /// The list of SPEC.md §4 and issue 5.
    static let all: [PreflightCase] = [
        PreflightCase(
            label: "unknown command",
            step: """
              - execute: devce_add
                arguments: {driver: usb-tablet}
            """,
            line: 7, column: 5,
            message: "execute: unknown command 'devce_add' (did you mean 'device_add'?)"),
        PreflightCase(
            label: "misspelled argument",
            step: """
              - execute: human-monitor-command
                arguments: {command-line: info status, cpu-indx: 0}
            """,
            line: 8, column: 44,
            message: "arguments.cpu-indx: unknown argument 'cpu-indx' (did you mean 'cpu-index'?)"),
        PreflightCase(
            label: "missing required argument",
            step: """
              - execute: human-monitor-command
                arguments:
                  cpu-index: 0
            """,
            line: 8, column: 5,
            message: "arguments.command-line: missing required argument 'command-line'"),
        PreflightCase(
            label: "string where an integer is expected",
            step: """
              - execute: migrate-set-parameters
                arguments:
                  downtime-limit: 300
                  max-bandwidth: fast
            """,
            line: 10, column: 7,
            message: "arguments.max-bandwidth: expected integer, got string \"fast\""),
        PreflightCase(
            label: "migration capability that does not exist",
            step: """
              - execute: migrate-set-capabilities
                arguments:
                  capabilities:
                    - {capability: events, state: true}
                    - {capability: auto-converj, state: true}
            """,
            line: 11, column: 12,
            message: "arguments.capabilities[1].capability: invalid value 'auto-converj' (did you mean 'auto-converge'?); "
                + "valid values: xbzrle, rdma-pin-all, auto-converge, zero-blocks, compress, events, postcopy-ram, x-colo, … (13 more)"),
        PreflightCase(
            label: "blockdev-add file node without filename",
            step: """
              - execute: blockdev-add
                arguments:
                  node-name: disk0
                  driver: qcow2
                  file:
                    driver: file
            """,
            line: 11, column: 7,
            message: "arguments.file.filename: missing required member 'filename' (required when driver is 'file')"),
        PreflightCase(
            label: "unknown event",
            step: """
              - wait-event: DEVICE_DELETD
                timeout: 1s
            """,
            line: 7, column: 5,
            message: "wait-event: unknown event 'DEVICE_DELETD' (did you mean 'DEVICE_DELETED'?)"),
    ]
}

/// `qmpbook run`'s preflight against real QEMU, through the built binary.
@Suite(.timeLimit(.minutes(3))) struct PreflightTests {
    @Test(arguments: PreflightCase.all)
    func runStopsAtTheMistakeWithItsPosition(_ mistake: PreflightCase) async throws {
        let fixture = try RunFixture(mistake.playbook)
        let outcome = try await fixture.run(["--color", "never"])
        #expect(outcome.status == 2, "\(outcome.standardError)")
        let lines = outcome.standardError.split(separator: "\n").map(String.init)
        #expect(lines.contains(mistake.expectedLine(in: fixture.playbook)), "\(outcome.standardError)")
        // Exactly one problem: the valid step before it is not reported.
        #expect(lines.filter { $0.hasPrefix(fixture.playbook + ":") }.count == 1, "\(outcome.standardError)")
        #expect(outcome.report["exit_code"] == 2)
        #expect(outcome.report.statuses == ["skipped", "skipped"])
        for pid in outcome.report.launchedPIDs { #expect(!processExists(pid)) }
    }

    @Test func aFailingPreflightLeavesTheVMAsItWas() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let fixture = try RunFixture("""
            name: plug, then a mistake
            targets:
              vm: {connect: "unix:\(qemu.socketPath)"}
            steps:
              - execute: device_add
                arguments: {driver: usb-tablet, id: tablet0, bus: xhci.0}
              - execute: device_del
                arguments: {idd: tablet0}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 2, "\(outcome.standardError)")
        #expect(outcome.standardError.contains("\(fixture.playbook):8:17: target vm: arguments.idd: unknown argument 'idd'"),
                "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["skipped", "skipped"])
        #expect(outcome.report["targets"]?[0]?["mode"] == "connect")
        #expect(qemu.isRunning, "a connect: target's QEMU is left running")
        #expect(try await peripherals(of: qemu) == ["xhci"], "the tablet must not have been plugged")
    }

    @Test func stepsThatExpectAnErrorAreNotChecked() async throws {
        let fixture = try RunFixture("""
            name: refusals
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: no-such-command
                expect: {error: {class: CommandNotFound}}
              - execute: device_del
                arguments: {idd: nothing}
                expect: {error: {class: GenericError}}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed"])
    }

    @Test func valuesKnownBeforeTheRunAreCheckedAndRegisteredOnesOnlyForPresence() async throws {
        let fixture = try RunFixture("""
            name: templates
            vars:
              speed: fast
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-name
                register: name
              - execute: human-monitor-command
                arguments: {command-line: "${name.return}"}
                ignore-errors: true
              - execute: migrate-set-parameters
                arguments: {max-bandwidth: "${speed}"}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 2, "\(outcome.standardError)")
        let problems = outcome.standardError.split(separator: "\n").filter { $0.hasPrefix(fixture.playbook + ":") }
        #expect(problems == ["\(fixture.playbook):13:17: target vm: arguments.max-bandwidth: expected integer, got string \"fast\""],
                "\(outcome.standardError)")
    }

    /// The ids under `/machine/peripheral` (user-created devices), read over a second connection.
    func peripherals(of qemu: QEMUProcess) async throws -> [String] {
        let monitor = try await qemu.connectMonitor()
        let listed = try await monitor.execute("qom-list", arguments: ["path": "/machine/peripheral"], timeout: .seconds(10))
        await monitor.disconnect()
        return (listed.arrayValue ?? []).compactMap { entry in
            guard let name = entry["name"]?.stringValue, name != "type" else { return nil }
            return name
        }.sorted()
    }
}
