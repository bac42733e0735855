import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

/// `qmpbook shell` as a whole process against real QEMUs: on a real
/// pseudo-terminal (keys in, the screen drawn out), and from a pipe.
@Suite(.timeLimit(.minutes(3)))
struct ShellCommandTests {
    /// A shell on a pseudo-terminal with its own state folder (the history file).
    private func shell(_ arguments: [String], state: TemporaryDirectory) throws -> PseudoTerminal {
        try PseudoTerminal(try Executables.qmpbook, ["shell"] + arguments, environment: ["XDG_STATE_HOME": state.path])
    }

    private func prompt(_ terminal: PseudoTerminal) async throws {
        try await terminal.waitFor("the prompt") { $0.currentLine == "qmp>" }
    }

    /// Runs `qmpbook shell ARGUMENTS` with `input` on its stdin (a pipe).
    private func piped(_ input: String, _ arguments: [String], in folder: TemporaryDirectory) async throws -> ProgramOutput {
        let script = folder.file("input.txt")
        try input.write(toFile: script, atomically: true, encoding: .utf8)
        let command = ([try Executables.qmpbook, "shell"] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try await runProgram("/bin/sh", ["-c", "\(command) < '\(script)'"], environment: ["XDG_STATE_HOME": folder.path])
    }

    @Test func tabCompletesCommandNamesArgumentNamesAndValues() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let state = try TemporaryDirectory()
        let terminal = try shell(["unix:\(qemu.socketPath)"], state: state)
        defer { terminal.close() }
        try await prompt(terminal)

        terminal.type("query-versio\t")
        try await terminal.waitFor("query-version completed") { $0.currentLine == "qmp> query-version" && $0.column == 19 }
        terminal.type("\r")
        try await terminal.waitFor(#""return""#)
        try await prompt(terminal)

        terminal.type("device_del i\t")
        try await terminal.waitFor("id= completed") { $0.currentLine == "qmp> device_del id=" && $0.column == 19 }
        terminal.type("\u{15}watchdog-set-action action=inj\t")
        try await terminal.waitFor("the enum value") { $0.currentLine == "qmp> watchdog-set-action action=inject-nmi" }
        terminal.type("\u{15}device_add driver=usb-tab\t")
        try await terminal.waitFor("the device model") { $0.currentLine == "qmp> device_add driver=usb-tablet" }

        // Several candidates with nothing more in common: listed above the line, which stays.
        terminal.type("\u{15}query-stat\t")
        try await terminal.waitFor("the candidates") { screen in
            screen.currentLine == "qmp> query-stat" && screen.linesAbove.last?.contains("query-status") == true
                && screen.linesAbove.last?.contains("query-stats") == true
        }
        terminal.type("\u{15}\u{04}")
        #expect(await terminal.waitForExit() == 0)
        #expect(terminal.isInCookedMode)
    }

    @Test func eventArrivingWhileALineIsHalfTypedLeavesTheLineIntact() async throws {
        let qemu = try await QEMUProcess.start(extraMonitors: ["other.qmp"])
        defer { qemu.stop() }
        let state = try TemporaryDirectory()
        let terminal = try shell(["unix:\(qemu.socketPath)"], state: state)
        defer { terminal.close() }
        try await prompt(terminal)
        terminal.type("device_add dri")
        try await terminal.waitFor("the half line") { $0.currentLine == "qmp> device_add dri" }

        let other = try await SocketMonitor.dial(.unix(path: qemu.directory.file("other.qmp")), timeout: .seconds(10))
        _ = try await other.connect(timeout: testHandshakeTimeout)
        _ = try await other.execute("cont")
        await other.disconnect()

        try await terminal.waitFor("the event above the line") { screen in
            screen.linesAbove.last?.hasPrefix("event RESUME") == true
                && screen.currentLine == "qmp> device_add dri" && screen.column == "qmp> device_add dri".count
        }
        terminal.type("ver=usb-tablet id=t1 bus=xhci.0\r")
        try await terminal.waitFor(#""return": {}"#)
        // At the prompt: a Ctrl-D typed while the terminal is in its own (cooked) mode is the tty's EOF, not a key.
        try await prompt(terminal)
        terminal.type("\u{04}")
        #expect(await terminal.waitForExit() == 0)
    }

    @Test func ctrlCDropsTheLineAndTheShellGoesOn() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let state = try TemporaryDirectory()
        let terminal = try shell(["unix:\(qemu.socketPath)"], state: state)
        defer { terminal.close() }
        try await prompt(terminal)
        terminal.type("query-status")
        try await terminal.waitFor("the typed line") { $0.currentLine == "qmp> query-status" }
        terminal.type("\u{03}")
        try await terminal.waitFor("a fresh prompt") { screen in
            screen.currentLine == "qmp>" && screen.linesAbove.last == "qmp> query-status^C"
        }
        terminal.type("query-name\r")
        try await terminal.waitFor(#""return""#)
        #expect(!terminal.screen.text.contains("prelaunch"))
        try await prompt(terminal)

        // While a wait runs, the terminal is back in its own mode: Ctrl-C is a SIGINT, which stops the wait only.
        terminal.type(":wait DEVICE_DELETED 60s\r")
        try await terminal.waitFor("for DEVICE_DELETED (Ctrl-C stops)")
        kill(terminal.pid, SIGINT)
        try await terminal.waitFor("error: :wait DEVICE_DELETED: cancelled")
        try await prompt(terminal)
        terminal.type("query-version\r")
        try await terminal.waitFor(#""qemu""#)
        try await prompt(terminal)
        terminal.type("\u{04}")
        #expect(await terminal.waitForExit() == 0)
        #expect(terminal.isInCookedMode)
    }

    @Test func aLineLongerThanTheTerminalScrollsSideways() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let state = try TemporaryDirectory()
        let terminal = try PseudoTerminal(
            try Executables.qmpbook, ["shell", "unix:\(qemu.socketPath)"], environment: ["XDG_STATE_HOME": state.path], columns: 40)
        defer { terminal.close() }
        try await prompt(terminal)
        let line = "qom-get path=/machine/unattached/device[0] property=type"
        terminal.type(line)
        try await terminal.waitFor("the line's end in view") { screen in
            screen.currentLine == "qmp> " + String(line.suffix(33)) && screen.column == 38
        }
        terminal.type("\u{01}")
        try await terminal.waitFor("the line's start in view") { screen in
            screen.currentLine == "qmp> " + String(line.prefix(34)) && screen.column == 5
        }
        terminal.type("\r")
        try await terminal.waitFor("x86_64-cpu")
        try await prompt(terminal)
        terminal.type("\u{04}")
        #expect(await terminal.waitForExit() == 0)
    }

    @Test func historyIsKeptAcrossTwoShells() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let state = try TemporaryDirectory()
        let first = try shell(["unix:\(qemu.socketPath)"], state: state)
        defer { first.close() }
        try await prompt(first)
        first.type("query-name\r")
        try await first.waitFor(#""return""#)
        try await prompt(first)
        first.type("\u{04}")
        #expect(await first.waitForExit() == 0)
        let file = try String(contentsOfFile: state.file("qmpbook/shell-history"), encoding: .utf8)
        #expect(file == "query-name\n")

        let second = try shell(["unix:\(qemu.socketPath)"], state: state)
        defer { second.close() }
        try await prompt(second)
        second.type("\u{1b}[A")
        try await second.waitFor("the earlier line") { $0.currentLine == "qmp> query-name" }
        second.type("\u{15}\u{04}")
        #expect(await second.waitForExit() == 0)
    }

    @Test func aSignalRestoresTheTerminalAndStopsTheLaunchedQEMU() async throws {
        let state = try TemporaryDirectory()
        let terminal = try shell(["--launch", "--", try Executables.qemu] + QEMUProcess.baseArguments, state: state)
        defer { terminal.close() }
        try await prompt(terminal)
        let banner = try #require(terminal.screen.text.firstMatch(of: /launched \(pid (\d+)\)/))
        let qemu = try #require(Int32(banner.1))
        #expect(kill(qemu, 0) == 0)
        terminal.type("device_add dri")
        try await terminal.waitFor("the half line") { $0.currentLine == "qmp> device_add dri" }
        kill(terminal.pid, SIGTERM)
        #expect(await terminal.waitForExit() == 143)
        #expect(terminal.isInCookedMode)
        #expect(kill(qemu, 0) != 0, "the launched QEMU outlived the shell")
    }

    @Test func evenSIGKILLOfTheShellTakesItsLaunchedQEMUWithIt() async throws {
        let state = try TemporaryDirectory()
        let terminal = try shell(["--launch", "--", try Executables.qemu] + QEMUProcess.baseArguments, state: state)
        defer { terminal.close() }
        try await prompt(terminal)
        let banner = try #require(terminal.screen.text.firstMatch(of: /launched \(pid (\d+)\)/))
        let qemu = try #require(Int32(banner.1))
        let exited = try System.processDescriptor(qemu).get()
        defer { System.close(exited) }
        kill(terminal.pid, SIGKILL)
        #expect(await terminal.waitForExit() != nil)
        // The group's watchdog sees qmpbook's pipe close and kills the group: the pidfd polls readable.
        let ready = await onOwnThread { System.poll([(exited, false)], timeout: .seconds(10)) }
        #expect(ready.first?.readable == true, "the launched QEMU outlived a SIGKILLed shell")
    }

    @Test func pipedInputRunsLineByLineAndPrintsJSON() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let folder = try TemporaryDirectory()
        let input = """
        query-status
        device_add driver=usb-tablet id=t0 bus=xhci.0
        {"execute": "qom-list", "arguments": {"path": "/machine/peripheral"}}
        hmp info status
        device_del id=t0
        :wait DEVICE_DELETED 10s

        """
        let output = try await piped(input, ["unix:\(qemu.socketPath)"], in: folder)
        #expect(output.status == 0, "\(output.standardError)")
        let lines = output.standardOutput.split(separator: "\n").map { try? JSONValue(parsing: String($0)) }
        #expect(lines.allSatisfy { $0 != nil }, "\(output.standardOutput)")
        let replies = lines.compactMap { $0 }.filter { $0["event"] == nil }
        #expect(replies.count == 6, "\(output.standardOutput)")
        #expect(replies.first?["return"]?["status"] == "prelaunch")
        #expect(replies[2]["return"]?.arrayValue?.contains { $0["name"] == "t0" } == true)
        #expect(replies[3]["return"]?.stringValue?.contains("VM status: paused") == true)
        #expect(lines.compactMap { $0 }.contains { $0["event"] == "DEVICE_DELETED" && $0["data"]?["device"] == "t0" })
        #expect(replies[5]["return"]?["event"] == "DEVICE_DELETED", ":wait answers with the event it took")
        #expect(output.standardError.isEmpty)
    }

    @Test func aRecordedSessionIsAPlaybookThatPassesAgainstAFreshQEMU() async throws {
        let folder = try TemporaryDirectory()
        let record = folder.file("session.yaml")
        let input = """
        device_add driver=usb-tablet id=t0 bus=xhci.0
        device_del id=nope
        :mark tablet plugged
        hmp info status
        device_del id=t0
        :wait DEVICE_DELETED 10s
        query-status

        """
        let output = try await piped(
            input, ["--record", record, "--launch", "--", try Executables.qemu] + QEMUProcess.baseArguments, in: folder)
        #expect(output.status == 1, "the failed device_del counts: \(output.standardError)")
        #expect(output.standardError.contains("error: DeviceNotFound: Device 'nope' not found"))
        let playbook = try String(contentsOfFile: record, encoding: .utf8)
        #expect(playbook.contains(#"    launch: ["\#(try Executables.qemu)", "-M", "pc""#))
        #expect(playbook.contains(#"    arguments: {"driver": "usb-tablet", "id": "t0", "bus": "xhci.0"}"#))
        #expect(playbook.contains(#"    expect: {error: {class: "DeviceNotFound"}}"#))
        #expect(playbook.contains(#"  - log: "tablet plugged""#))
        #expect(playbook.contains(#"  - hmp: "info status""#))
        #expect(playbook.contains(#"  # event DEVICE_DELETED {"device":"t0""#))
        #expect(playbook.contains(#"  - wait-event: "DEVICE_DELETED""# + "\n" + #"    match: {"device": "t0""#))
        #expect(!playbook.contains("SHUTDOWN"), "events after the session ended are not recorded")

        let qmpbook = try Executables.qmpbook
        let check = try await runProgram(qmpbook, ["check", record])
        #expect(check.status == 0, "\(check.standardOutput)\(check.standardError)")
        let run = try await runProgram(qmpbook, ["run", record, "--report", folder.file("report.json")])
        #expect(run.status == 0, "\(run.standardError)")
        let report = try JSONValue(parsing: try String(contentsOfFile: folder.file("report.json"), encoding: .utf8))
        #expect(report["summary"]?["passed"]?.intValue == 7)
        #expect(report["outcome"] == "passed")
    }

    @Test func aQuitEndsAPipedShellAndItsLaunchedQEMU() async throws {
        let folder = try TemporaryDirectory()
        let output = try await piped(
            "quit\nquery-status\n", ["--launch", "--", try Executables.qemu] + QEMUProcess.baseArguments, in: folder)
        #expect(output.status == 0, "\(output.standardError)")
        let lines = output.standardOutput.split(separator: "\n").map { try? JSONValue(parsing: String($0)) }
        #expect(lines.count == 2, "nothing runs after quit: \(output.standardOutput)")
        #expect(lines.contains { $0 == ["return": [:]] })
        #expect(lines.contains { $0?["event"] == "SHUTDOWN" }, "QEMU's own last words are shown")
        #expect(output.standardError.isEmpty)
    }

    @Test func badLinesGetTheirMessagesAndTheShellGoesOn() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let folder = try TemporaryDirectory()
        let input = """
        query-statsu
        device_del nope
        device_del idd=x
        migrate-set-parameters downtime-limit=soon
        {"execute": 
        :frob
        query-name

        """
        let output = try await piped(input, ["unix:\(qemu.socketPath)"], in: folder)
        #expect(output.status == 1)
        let errors = output.standardError.split(separator: "\n").map(String.init)
        #expect(errors == [
            "error: unknown command 'query-statsu' (did you mean 'query-status'?) (help lists them; Tab completes)",
            "error: 'nope' is not ARGUMENT=VALUE (e.g. id=t0; a raw command is a JSON object)",
            "error: device_del has no argument 'idd' (did you mean 'id'?); it takes id",
            "error: downtime-limit=soon: downtime-limit is an integer (int)",
            errors.count > 4 ? errors[4] : "",
            "error: unknown shell command ':frob' (the shell's own are :wait, :mark, :quit)",
            "qmpbook: 6 lines failed",
        ])
        #expect(errors.count > 4 && errors[4].hasPrefix("error: not valid JSON"))
        #expect(try JSONValue(parsing: output.standardOutput)["return"] != nil, "query-name still ran")
    }

    @Test func badInvocationsAndUnreachableAddresses() async throws {
        let qmpbook = try Executables.qmpbook
        let folder = try TemporaryDirectory()
        let noAddress = try await runProgram(qmpbook, ["shell"])
        #expect(noAddress.status == 2)
        #expect(noAddress.standardError.contains("name an address"))
        let badAddress = try await runProgram(qmpbook, ["shell", "tcp:127.0.0.1"])
        #expect(badAddress.status == 2)
        #expect(badAddress.standardError.hasPrefix("qmpbook: invalid address"), "\(badAddress.standardError)")
        let missing = try await runProgram(qmpbook, ["shell", folder.file("none.sock"), "--timeout", "1s"])
        #expect(missing.status == 3)
        #expect(missing.standardError.contains("cannot connect"), "\(missing.standardError)")
        let launchWithout = try await runProgram(qmpbook, ["shell", "--launch"])
        #expect(launchWithout.status == 2)
        #expect(launchWithout.standardError.contains("--launch needs the QEMU command after --"))
        let noBinary = try await runProgram(qmpbook, ["shell", "--launch", "--", folder.file("no-such-qemu")])
        #expect(noBinary.status == 3)
        #expect(noBinary.standardError.contains("no-such-qemu"), "\(noBinary.standardError)")
        let badRecord = try await runProgram(qmpbook, ["shell", "unix:/x", "--record", "session.txt"])
        #expect(badRecord.status == 2)
        #expect(badRecord.standardError.contains("--record writes a playbook"))
        let unwritable = try await runProgram(
            qmpbook, ["shell", "--record", folder.file("no/such/folder.yaml"), "--launch", "--", try Executables.qemu] + QEMUProcess.baseArguments)
        #expect(unwritable.status == 2)
        #expect(unwritable.standardError.hasPrefix("qmpbook: --record: cannot write \(folder.file("no/such/folder.yaml")): open "), "\(unwritable.standardError)")
    }
}
