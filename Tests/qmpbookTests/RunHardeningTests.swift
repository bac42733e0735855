import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

/// What odd launches, paths, deadlines and files get, through the built
/// binary: a wrapper's QEMU does not outlive a SIGKILLed qmpbook, `quit`'s
/// reply and SHUTDOWN are never lost to QEMU's fast exit, a comma in
/// $TMPDIR reaches QEMU escaped, the run's deadline bounds opening the
/// targets, `always-timeout` bounds the always steps, a blocking `fd:` open
/// is a timeout that says so, and a busy `listen:` address fails at once.
@Suite(.timeLimit(.minutes(5)))
struct RunHardeningTests {
    /// Live (not zombie) processes whose command line contains `marker`.
    static func processes(marked marker: String) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let text = String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            return text.contains(marker) && processExists(pid)
        }
    }

    static func wrapped(_ launch: String) -> String {
        """
        name: wrapped
        targets:
          vm:
            launch:
        \(launch)
        steps:
          - execute: cont
          - name: wait for a shutdown that never comes
            wait-event: SHUTDOWN
            timeout: 60s
        """
    }

    @Test(arguments: ["sh", "timeout"])
    func aWrappedQEMUDiesWithAKilledQmpbook(wrapper: String) async throws {
        let marker = "qmpbook-wrapped-\(UUID().uuidString)"
        let qemu = "qemu-system-x86_64 -name \(marker) -M pc -nodefaults -display none -S"
        let launch = wrapper == "sh"
            // Not `exec`: sh stays QEMU's parent, and QEMU is qmpbook's grandchild.
            ? "          - sh\n          - -c\n          - '\(qemu) \"$@\"; echo after'\n          - sh"
            : "          [timeout, '600', " + qemu.split(separator: " ").joined(separator: ", ") + "]"
        let fixture = try RunFixture(Self.wrapped(launch))
        let run = try BackgroundRun(fixture, [])
        try await run.waitForStep(1)
        let marked = Self.processes(marked: marker)
        let wrapperPID = try #require(childProcesses(of: run.pid).first)
        let qemuPID = try #require(marked.first { $0 != wrapperPID && ProcessGroup.state(of: $0)?.group == wrapperPID },
                                   "QEMU is a grandchild in the wrapper's group")
        let group = try #require(ProcessGroup.state(of: qemuPID)?.group)
        kill(run.pid, SIGKILL)
        _ = await run.waitForExit(timeout: .seconds(10))
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, !Self.processes(marked: marker).isEmpty || !ProcessGroup.liveMembers(of: group).isEmpty {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(Self.processes(marked: marker).isEmpty, "QEMU \(qemuPID) outlived qmpbook")
        #expect(ProcessGroup.liveMembers(of: group).isEmpty, "the launch's group (and its watchdog) is gone")
    }

    @Test func aHostCommandsBackgroundProcessesDieWithAKilledQmpbook() async throws {
        let marker = "qmpbook-command-\(UUID().uuidString)"
        let fixture = try RunFixture("""
            name: command
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
              - name: a command that leaves a child behind
                command: [sh, -c, 'sh -c "sleep 300; :" \(marker)-background & sleep 300; echo after']
                timeout: 60s
            """)
        let run = try BackgroundRun(fixture, [])
        try await run.waitForStep(1)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, Self.processes(marked: marker).count < 2 {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(Self.processes(marked: marker).count >= 2, "sh and its background sleep")
        kill(run.pid, SIGKILL)
        _ = await run.waitForExit(timeout: .seconds(10))
        let gone = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < gone, !Self.processes(marked: marker).isEmpty {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(Self.processes(marked: marker).isEmpty, "the command's background process outlived qmpbook")
    }

    @Test func aWrapperThatExitsTakesItsQEMUWithIt() async throws {
        // The wrapper leaves QEMU running in the background and exits: the target is
        // lost, and the QEMU it left is killed with the rest of its group.
        let marker = "qmpbook-orphan-\(UUID().uuidString)"
        let fixture = try RunFixture("""
            name: wrapper exits
            targets:
              vm:
                launch:
                  - sh
                  - -c
                  - 'qemu-system-x86_64 -name \(marker) -M pc -nodefaults -display none -S "$@" & sleep 2'
                  - sh
            steps:
              - execute: query-status
              - {wait-event: SHUTDOWN, timeout: 30s}
            """)
        let started = ContinuousClock.now
        let outcome = try await fixture.run()
        #expect(ContinuousClock.now - started < .seconds(20), "the loss ended the wait")
        #expect(outcome.status == 3, "\(outcome.standardError)")
        #expect(outcome.report["message"]?.stringValue?.contains("target vm was lost") == true, "\(outcome.report["message"] ?? nil)")
        #expect(Self.processes(marked: marker).isEmpty, "the wrapper's QEMU was left running")
    }

    @Test func quitsReplyAndShutdownAreNeverLostToAFastExit() async throws {
        let fixture = try RunFixture("""
            name: quit
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - {id: quit, execute: quit}
              - {wait-event: SHUTDOWN, since: quit, timeout: 5s}
            """)
        var failures: [String] = []
        let runs = 32
        for index in 0 ..< runs {
            let report = fixture.folder.file("report-\(index).json")
            let output = try await runProgram(try Executables.qmpbook, ["run", fixture.playbook, "--report", report, "--quiet"])
            if output.status != 0 { failures.append("run \(index): exit \(output.status): \(output.standardError)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(runs) runs failed: \(failures.joined(separator: "\n"))")
    }

    @Test func aCommaInTMPDIRReachesQEMUEscaped() async throws {
        let fixture = try RunFixture("""
            name: comma
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
            """)
        let temporary = fixture.folder.file("a,b=c")
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        let output = try await runProgram(
            try Executables.qmpbook, ["run", fixture.playbook, "--report", fixture.reportPath],
            environment: ["TMPDIR": temporary])
        #expect(output.status == 0, "\(output.standardError)")
        let address = try fixture.readReport()["targets"]?[0]?["address"]?.stringValue ?? ""
        #expect(address.hasPrefix("unix:\(temporary)/"), "\(address)")
    }

    @Test(arguments: [true, false])
    func theRunsDeadlineBoundsOpeningTheTargets(fromCommandLine: Bool) async throws {
        let fixture = try RunFixture("""
            name: nobody connects
            \(fromCommandLine ? "" : "timeout: 1s")
            targets:
              vm: {listen: "unix:${run.dir}/nobody.sock", timeout: 10s}
            steps:
              - execute: query-status
            """)
        let started = ContinuousClock.now
        let outcome = try await fixture.run(fromCommandLine ? ["--timeout", "1s"] : [])
        let took = ContinuousClock.now - started
        #expect(outcome.status == 1, "\(outcome.standardError)")
        let message = outcome.report["message"]?.stringValue ?? ""
        #expect(message.hasPrefix("the playbook's deadline of 1s passed while opening target vm"), "\(message)")
        #expect(outcome.standardError.contains("qmpbook: the playbook's deadline of 1s passed while opening target vm"))
        #expect(outcome.report["outcome"] == "failed")
        #expect(took < .seconds(5), "the run took \(took), not about 1s")
    }

    @Test func alwaysTimeoutBoundsTheAlwaysSteps() async throws {
        let fixture = try RunFixture("""
            name: short always
            always-timeout: 1s
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
            always:
              - {name: too long, sleep: 30s}
              - {name: after it, log: never}
            """)
        let started = ContinuousClock.now
        let outcome = try await fixture.run()
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(outcome.status == 1, "\(outcome.standardError)")
        let step = try #require(outcome.report.step("too long"))
        #expect(step["status"] == "timeout")
        #expect(step["message"]?.stringValue?.contains("the always steps' time limit of 1s") == true, "\(step)")
        #expect(outcome.report.step("after it")?["status"] == "skipped")
    }

    @Test func alwaysTimeoutIsCheckedAndInTheSchema() async throws {
        let fixture = try RunFixture("""
            name: no time
            always-timeout: 0s
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
            """)
        let check = try await runProgram(try Executables.qmpbook, ["check", fixture.playbook])
        #expect(check.status == 2)
        #expect(check.standardError.contains("always-timeout must be longer than 0"), "\(check.standardError)")
        let schema = try await runProgram(try Executables.qmpbook, ["schema"])
        let properties = try JSONValue(parsing: schema.standardOutput)["properties"]
        #expect(properties?["always-timeout"] != nil)
    }

    @Test func anFDOpenThatBlocksIsATimeoutThatSaysSo() async throws {
        let fixture = try RunFixture("""
            name: fifo
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - name: pass a fifo nobody writes
                execute: getfd
                arguments: {fdname: f}
                fd: {path: no-writer.fifo, mode: read}
                timeout: 1s
              - {name: after it, execute: query-status}
            """)
        #expect(mkfifo(fixture.folder.file("no-writer.fifo"), 0o600) == 0)
        let started = ContinuousClock.now
        let outcome = try await fixture.run()
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(outcome.status == 1, "\(outcome.standardError)")
        let step = try #require(outcome.report.step("pass a fifo nobody writes"))
        #expect(step["status"] == "timeout")
        #expect(step["message"]?.stringValue?.contains("blocked for 1s: nothing has opened it for writing (a FIFO without a writer)") == true,
                "\(step)")
        #expect(outcome.report.step("after it")?["status"] == "skipped")
    }

    @Test func aListenAddressInUseFailsAtOnceSayingSo() async throws {
        let holder = try ScriptedPeer(tcp: true) { _ in }   // listens on the port, and nobody connects
        let fixture = try RunFixture("""
            name: busy
            targets:
              vm: {listen: "\(holder.address)", timeout: 30s}
            steps:
              - execute: query-status
            """)
        let started = ContinuousClock.now
        let outcome = try await fixture.run()
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(outcome.status == 3)
        let error = outcome.report["targets"]?[0]?["error"]?.stringValue ?? ""
        #expect(error.contains("Address already in use"), "\(error)")
        #expect(!error.contains("no QEMU connected"), "\(error)")
        withExtendedLifetime(holder) {}
    }
}
