import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Synchronization
import Testing

/// Runs the built `qmpbook` with extra environment variables (a private schema cache).
enum LiveCheck {
    /// Runs `qmpbook ARGUMENTS` to completion (killed after `timeout`), with `environment` added to this process's.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(90)
    ) async throws -> ProgramOutput {
        try await runProgram(try Executables.qmpbook, arguments, environment: environment, timeout: timeout)
    }

    /// The pids `check --live --verbose` says it launched (`vm: QEMU 7.2.22 (…) (launch, pid 1234)`).
    static func launchedPIDs(in output: String) -> [Int32] {
        output.split(separator: "\n").compactMap { line -> Int32? in
            guard let range = line.range(of: "(launch, pid ") else { return nil }
            return Int32(line[range.upperBound...].prefix { $0.isNumber })
        }
    }

    /// The `.json` files in a schema cache folder.
    static func cacheFiles(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix("qmp-schema-") && $0.hasSuffix(".json") }.sorted()
    }
}

/// `qmpbook check --live` against real QEMU, through the built binary.
@Suite(.timeLimit(.minutes(5))) struct CheckLiveTests {
    static let valid = """
        name: a valid playbook
        targets:
          vm: {launch: \(RunFixture.qemu)}
        steps:
          - execute: device_add
            arguments: {driver: usb-tablet, id: tablet0, bus: xhci.0}
          - wait-event: [DEVICE_DELETED, RESET]
            timeout: 1s
        """

    @Test(arguments: PreflightCase.all)
    func reportsTheMistakeWithItsPosition(_ mistake: PreflightCase) async throws {
        let fixture = try RunFixture(mistake.playbook)
        let output = try await LiveCheck.run(["check", fixture.playbook, "--live", "--verbose"])
        #expect(output.status == 2, "\(output.standardError)")
        let lines = output.standardError.split(separator: "\n").map(String.init)
        #expect(lines.contains(mistake.expectedLine(in: fixture.playbook)), "\(output.standardError)")
        #expect(lines.filter { $0.hasPrefix(fixture.playbook + ":") }.count == 1, "\(output.standardError)")
        #expect(lines.last == "qmpbook: 1 problem", "\(output.standardError)")
        let pids = LiveCheck.launchedPIDs(in: output.standardOutput)
        #expect(pids.count == 1, "\(output.standardOutput)")
        for pid in pids { #expect(!processExists(pid), "the launched QEMU must be stopped") }
    }

    @Test func validPlaybookPassesAndItsQEMUIsStopped() async throws {
        let fixture = try RunFixture(Self.valid)
        let output = try await LiveCheck.run(["check", fixture.playbook, "--live", "--verbose"])
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardOutput.contains("\(fixture.playbook): preflight ok (2 steps checked; vm: QEMU "),
                "\(output.standardOutput)")
        #expect(output.standardOutput.hasSuffix("\(fixture.playbook): ok (2 steps, 1 target, preflight passed)\n"),
                "\(output.standardOutput)")
        let pids = LiveCheck.launchedPIDs(in: output.standardOutput)
        #expect(pids.count == 1)
        for pid in pids { #expect(!processExists(pid), "the launched QEMU must be stopped") }
    }

    @Test func aConnectTargetGetsOnlyTheHandshakeAndTheSchemaQuery() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let fixture = try RunFixture("""
            name: plug, then a mistake
            targets:
              vm: {connect: "unix:\(qemu.socketPath)"}
            steps:
              - execute: device_add
                arguments: {driver: usb-tablet, id: tablet0, bus: xhci.0}
              - execute: cont
              - execute: migrate-set-capabilities
                arguments: {capabilities: [{capability: auto-converj, state: true}]}
            """)
        let output = try await LiveCheck.run(["check", fixture.playbook, "--live"])
        #expect(output.status == 2, "\(output.standardError)")
        #expect(output.standardError.contains("\(fixture.playbook):9:33: target vm: arguments.capabilities[0].capability: invalid value 'auto-converj'"),
                "\(output.standardError)")
        #expect(qemu.isRunning, "a connect: target's QEMU is left running")
        let monitor = try await qemu.connectMonitor()
        defer { Task { await monitor.disconnect() } }
        let listed = try await monitor.execute("qom-list", arguments: ["path": "/machine/peripheral"], timeout: .seconds(10))
        let names = (listed.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.filter { $0 != "type" }
        #expect(names == ["xhci"], "the tablet must not have been plugged")
        let status = try await monitor.execute("query-status", timeout: .seconds(10))
        #expect(status["status"] == "prelaunch", "cont must not have been sent")
    }

    @Test func nothingButTheHandshakeAndReadOnlyQueriesAreSent() async throws {
        let cache = try TemporaryDirectory(prefix: "cache")
        // The recorded schema on one line, as QEMU sends it.
        let schema = try JSONValue(parsing: Array(try Data(contentsOf: ShippedFiles.schemaFixture))).jsonText
        let received = ReceivedCommands()
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            while let line = connection.readLine() {
                let command = try JSONValue(parsing: line)
                let name = command["execute"]?.stringValue ?? "?"
                received.names.withLock { $0.append(name) }
                let result = name == "query-qmp-schema" ? schema : name == "query-target" ? #"{"arch": "x86_64"}"# : "{}"
                connection.send(#"{"return": \#(result), "id": \#(command["id"]?.jsonText ?? "null")}"# + "\r\n")
            }
        }
        defer { peer.stop() }
        let fixture = try RunFixture("""
            name: changes, if it ran
            targets:
              vm: {connect: "\(peer.address)"}
            steps:
              - execute: device_add
                arguments: {driver: usb-tablet, id: tablet0}
              - execute: cont
              - execute: quit
            always:
              - execute: system_reset
            """)
        let output = try await LiveCheck.run(
            ["check", fixture.playbook, "--live"], environment: ["XDG_CACHE_HOME": cache.path])
        #expect(output.status == 0, "\(output.standardError)")
        try await peer.finish()
        #expect(received.names.withLock { $0 } == ["qmp_capabilities", "query-target", "query-qmp-schema"])
    }

    @Test func theSchemaCacheIsWrittenThenReadAndACorruptOneIsReplaced() async throws {
        let cache = try TemporaryDirectory(prefix: "cache")
        let folder = cache.file("qmpbook")
        let environment = ["XDG_CACHE_HOME": cache.path]
        let fixture = try RunFixture(Self.valid)
        let arguments = ["check", fixture.playbook, "--live"]

        let cold = try await LiveCheck.run(arguments, environment: environment)
        #expect(cold.status == 0, "\(cold.standardError)")
        #expect(cold.standardOutput.contains("schema fetched"), "\(cold.standardOutput)")
        let files = LiveCheck.cacheFiles(in: folder)
        #expect(files.count == 1 && files.first?.hasPrefix("qmp-schema-7.2.") == true, "\(files)")
        let file = try #require(files.first.map { folder + "/" + $0 })
        let stored = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        #expect(stored["format"] == "qmpbook-schema-cache/1")
        #expect((stored["schema"]?.arrayValue?.count ?? 0) > 1000)

        let warm = try await LiveCheck.run(arguments, environment: environment)
        #expect(warm.status == 0, "\(warm.standardError)")
        #expect(warm.standardOutput.contains("schema from the cache"), "\(warm.standardOutput)")

        // A corrupt file costs a fetch, and is replaced.
        try Data("{\"format\": \"qmpbook-schema-cache/1\", \"schema\": [tru".utf8).write(to: URL(fileURLWithPath: file))
        let repaired = try await LiveCheck.run(arguments, environment: environment)
        #expect(repaired.status == 0, "\(repaired.standardError)")
        #expect(repaired.standardOutput.contains("schema fetched"), "\(repaired.standardOutput)")
        let rewritten = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        #expect(rewritten["format"] == "qmpbook-schema-cache/1")
        #expect(LiveCheck.cacheFiles(in: folder).count == 1)
    }

    @Test func runFillsTheCacheAndRunsWithACorruptOne() async throws {
        let cache = try TemporaryDirectory(prefix: "cache")
        let folder = cache.file("qmpbook")
        let environment = ["XDG_CACHE_HOME": cache.path]
        let fixture = try RunFixture(Self.valid)
        let arguments = ["run", fixture.playbook, "--report", fixture.reportPath, "--no-preflight"]

        let unchecked = try await LiveCheck.run(arguments, environment: environment)
        #expect(unchecked.status == 1, "\(unchecked.standardError)")   // the event wait times out
        #expect(LiveCheck.cacheFiles(in: folder).isEmpty, "--no-preflight must not fetch the schema")

        let checked = try await LiveCheck.run(Array(arguments.dropLast()), environment: environment)
        #expect(checked.status == 1, "\(checked.standardError)")
        let files = LiveCheck.cacheFiles(in: folder)
        #expect(files.count == 1)
        let file = try #require(files.first.map { folder + "/" + $0 })

        try Data("not json at all".utf8).write(to: URL(fileURLWithPath: file))
        let corrupt = try await LiveCheck.run(Array(arguments.dropLast()), environment: environment)
        #expect(corrupt.status == 1, "\(corrupt.standardError)")
        #expect(try fixture.readReport().statuses == ["passed", "timeout"])
        let rewritten = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        #expect(rewritten["format"] == "qmpbook-schema-cache/1")
    }

    @Test func anUnreachableTargetExits3() async throws {
        let folder = try TemporaryDirectory(prefix: "gone")
        let fixture = try RunFixture("""
            name: nobody home
            targets:
              vm: {connect: "unix:\(folder.file("none.sock"))", timeout: 300ms}
            steps:
              - execute: query-status
            """)
        let output = try await LiveCheck.run(["check", fixture.playbook, "--live"])
        #expect(output.status == 3, "\(output.standardError)")
        #expect(output.standardError.contains("\(fixture.playbook): target vm: could not connect"), "\(output.standardError)")
    }

    @Test func problemsInEveryPlaybookAreListed() async throws {
        let first = try RunFixture(PreflightCase.all[0].playbook, name: "first.yaml")
        let second = try RunFixture(PreflightCase.all[6].playbook, name: "second.yaml")
        let valid = try RunFixture(Self.valid, name: "valid.yaml")
        let output = try await LiveCheck.run(["check", first.playbook, valid.playbook, second.playbook, "--live"])
        #expect(output.status == 2, "\(output.standardError)")
        let lines = output.standardError.split(separator: "\n").map(String.init)
        #expect(lines.contains(PreflightCase.all[0].expectedLine(in: first.playbook)), "\(output.standardError)")
        #expect(lines.contains(PreflightCase.all[6].expectedLine(in: second.playbook)), "\(output.standardError)")
        #expect(lines.last == "qmpbook: 2 problems in 2 of 3 playbooks")
        #expect(output.standardOutput.contains("\(valid.playbook): preflight ok"))
    }

    @Test func sigintWhileATargetIsAwaitedStopsTheLaunchedQEMU() async throws {
        let folder = try TemporaryDirectory(prefix: "wait")
        let fixture = try RunFixture("""
            name: one launched, one that never calls
            targets:
              vm: {launch: \(RunFixture.qemu)}
              mon: {listen: "unix:\(folder.file("mon.sock"))", timeout: 60s}
            steps:
              - {target: vm, execute: query-status}
              - {target: mon, execute: query-status}
            """)
        let program = try RunningProgram(
            try Executables.qmpbook, ["check", fixture.playbook, "--live", "--verbose"], timeout: .seconds(60))
        let deadline = ContinuousClock.now + .seconds(30)
        var pids: [Int32] = []
        while pids.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            pids = LiveCheck.launchedPIDs(in: program.standardOutput)
        }
        #expect(pids.count == 1, "\(program.standardOutput)")
        kill(program.pid, SIGINT)
        let output = await program.wait()
        #expect(output.status == 130, "\(output.standardError)")
        for pid in pids { #expect(!processExists(pid), "the launched QEMU must be stopped") }
    }

    @Test func targetNeedsLive() async throws {
        let fixture = try RunFixture(Self.valid)
        let output = try await LiveCheck.run(["check", fixture.playbook, "--target", "vm=unix:/nonexistent"])
        #expect(output.status == 2)
        #expect(output.standardError.contains("--target needs --live"), "\(output.standardError)")
    }

    @Test func aTargetNoPlaybookHasIsABadInvocation() async throws {
        let fixture = try RunFixture(Self.valid)
        let output = try await LiveCheck.run(["check", fixture.playbook, "--live", "--target", "nope=unix:/nonexistent"])
        #expect(output.status == 2)
        #expect(output.standardError.contains("--target nope: no playbook has a target 'nope'"), "\(output.standardError)")
    }

    @Test(arguments: ShippedFiles.playbooks)
    func shippedPlaybookPassesTheLivePreflight(_ name: String) async throws {
        var arguments = ["check", ShippedFiles.playbook(name), "--live", "--verbose"]
        var existing: QEMUProcess?
        // A runbook for a VM that is already running: give it one.
        if name == "runbook-snapshot-status.yaml" {
            let qemu = try await QEMUProcess.start()
            existing = qemu
            arguments += ["--target", "vm=unix:\(qemu.socketPath)"]
        }
        // The playbooks that boot qmpbook's test guest take its kernel and initramfs as variables.
        if name.hasPrefix("guest-") {
            let guest = try await TestGuest.kit()
            arguments += ["--var", "kernel=\(guest.kernel)", "--var", "initrd=\(guest.initrd)"]
        }
        defer { existing?.stop() }
        let output = try await LiveCheck.run(arguments)
        #expect(output.status == 0, "qmpbook check --live Playbooks/\(name): \(output.standardOutput)\(output.standardError)")
        #expect(output.standardOutput.contains("preflight ok"), "\(output.standardOutput)")
        for pid in LiveCheck.launchedPIDs(in: output.standardOutput) { #expect(!processExists(pid)) }
        if let existing { #expect(existing.isRunning, "a connect: target's QEMU is left running") }
    }
}

/// The commands a scripted peer received, in order.
final class ReceivedCommands: Sendable {
    let names = Mutex<[String]>([])
}

/// Files of the repository the live tests use.
enum ShippedFiles {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The names of the playbooks in `Playbooks/`, sorted.
    static var playbooks: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent("Playbooks").path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    }

    static func playbook(_ name: String) -> String {
        repository.appendingPathComponent("Playbooks").appendingPathComponent(name).path
    }

    /// The schema recorded from the QEMU installed here.
    static var schemaFixture: URL {
        repository.appendingPathComponent("Tests/QMPTests/Fixtures/qmp-schema-7.2.22.json")
    }
}
