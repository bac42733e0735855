import Foundation
import QEMUTestSupport
import QMP
import Testing

/// The steps that look inside the guest (SPEC.md §9) through the built binary,
/// against qmpbook's real test guest (Tests/Guest). Booting costs seconds under
/// TCG, so one playbook exercises most step kinds on one guest.
@Suite(.serialized, .timeLimit(.minutes(4))) struct GuestStepsTests {
    static func guestTarget(_ extra: String = "console: true\n    agent: isa-serial") async throws -> String {
        let guest = try await TestGuest.kit()
        return """
            targets:
              vm:
                launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -m, 256, -no-reboot,
                         -kernel, "\(guest.kernel)", -initrd, "\(guest.initrd)", -append, "console=ttyS0 panic=-1 quiet"]
                timeout: 30s
                \(extra)

            """
    }

    @Test func everyGuestStepKindOnOneBootedGuest() async throws {
        let fixture = try RunFixture("""
            name: inside the guest
            \(try await Self.guestTarget())defaults: {timeout: 90s}
            steps:
              - name: booted
                wait-console: "QMPBOOK-GUEST-READY ([0-9.]+)"
                register: ready
              - name: the agent answers
                agent: guest-ping
              - name: os info
                agent: guest-get-osinfo
                expect: {return: {id: qmpbook-test-guest}}
                register: os
              - name: an agent error is a reply
                agent: guest-file-open
                arguments: {path: /nonexistent/file}
                expect: {error: {class: GenericError}}
              - name: exit code and both outputs
                guest-exec: [sh, -c, "echo out; echo err >&2; exit 3"]
                expect: {exit: 3, stdout: "out\\n", stderr: "err\\n"}
              - name: input and json
                guest-exec: {argv: [cat], input: '{"a": [1, 2]}'}
                expect: {json: {a: [1, 2]}}
              - name: environment
                guest-exec: {argv: [sh, -c, 'echo "$WORD"'], env: {WORD: "${os.return.id}"}}
                expect: {stdout: "qmpbook-test-guest\\n"}
                register: fed
              - name: a failing program fails the step
                guest-exec: [sh, -c, "exit 1"]
                ignore-errors: true
              - name: type ahead
                id: early
                send-console: "echo early-$((1+1))\\n"
              - name: meanwhile
                guest-exec: [sleep, "1"]
              - name: printed before the wait
                wait-console: "early-(2)"
              - name: since skips older output
                wait-console: "QMPBOOK-GUEST-READY"
                since: early
                timeout: 1s
                ignore-errors: true
              - name: type into the shell
                id: typed
                send-console: "echo marker-$((6*7))\\n"
              - name: the shell answers
                wait-console: "marker-(42)"
                register: echoed
              - name: a wait that times out
                wait-console: "never-printed-anywhere"
                timeout: 2s
                ignore-errors: true
              - name: the console text is a variable
                log: "booted at ${ready.groups.0}; echoed ${echoed.groups.0}"
            """)
        let outcome = try await fixture.run(["--color", "never"], timeout: .seconds(200))
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = outcome.report
        #expect(report.step("booted")?["status"] == "passed")
        #expect(report.step("os info")?["response"]?["return"]?["id"] == "qmpbook-test-guest")
        #expect(report.step("os info")?["request"] == ["execute": "guest-get-osinfo"])
        #expect(report.step("an agent error is a reply")?["status"] == "passed")
        let exec = report.step("exit code and both outputs")
        #expect(exec?["response"]?["exit"] == 3)
        #expect(exec?["response"]?["stdout"] == "out\n")
        #expect(exec?["response"]?["stderr"] == "err\n")
        #expect(exec?["request"]?["arguments"]?["capture-output"] == true)
        #expect(report.step("input and json")?["status"] == "passed")
        #expect(report.step("environment")?["status"] == "passed", "\(String(describing: report.step("environment")))")
        let failing = report.step("a failing program fails the step")
        #expect(failing?["status"] == "ignored")
        #expect(failing?["message"]?.stringValue?.contains("sh exited with status 1 in the guest") == true, "\(String(describing: failing))")
        // Printed while the guest slept a second: found at once, though it came before the wait began.
        let before = report.step("printed before the wait")
        #expect(before?["status"] == "passed")
        #expect((before?["duration_ms"]?.doubleValue ?? 1e9) < 500, "\(String(describing: before))")
        #expect(before?["response"]?["groups"] == ["2"])
        // `since` only looks at output after that step: the ready marker came long before.
        #expect(report.step("since skips older output")?["status"] == "ignored")
        #expect(report.step("the shell answers")?["status"] == "passed")
        let timedOut = report.step("a wait that times out")
        #expect(timedOut?["status"] == "ignored")
        let message = timedOut?["message"]?.stringValue ?? ""
        #expect(message.hasPrefix("no console output matching /never-printed-anywhere/ on vm within 2s; its last lines: "), "\(message)")
        #expect(message.contains("marker-42"), "the message quotes the console's last lines: \(message)")
        let log = report.step("the console text is a variable")?["response"]?.stringValue ?? ""
        #expect(log.hasPrefix("booted at ") && log.contains("echoed 42"), "\(log)")

        let target = try #require(report["targets"]?[0])
        let console = try #require(target["console"])
        #expect((console["bytes"]?.intValue ?? 0) > 100)
        #expect(console["tail"]?.stringValue?.contains("marker-42") == true)
        #expect(console["tail"]?.stringValue?.contains("\u{1b}") == false, "control characters are escaped")
        #expect(console["error"] == .null)
        let agent = try #require(target["agent"])
        #expect(agent["channel"] == "isa-serial")
        #expect(agent["version"]?.stringValue?.isEmpty == false)
        #expect(agent["error"] == .null)
        #expect((agent["answered_ms"]?.doubleValue ?? 0) > 0)
    }

    struct BadChannel: Sendable, CustomTestStringConvertible {
        var label: String
        var target: String
        var steps: String
        var line: Int
        var column: Int
        var message: String
        var testDescription: String { label }
    }

    static let badChannels: [BadChannel] = [
        BadChannel(label: "console step without a console", target: "{launch: [qemu-system-x86_64]}",
                   steps: "  - wait-console: login\n", line: 5, column: 5,
                   message: "wait-console needs the console of target 'vm', which has none; add console: true to the target"),
        BadChannel(label: "agent step without an agent", target: "{connect: /tmp/q.sock}",
                   steps: "  - guest-exec: [true]\n", line: 5, column: 5,
                   message: "guest-exec needs the agent of target 'vm', which has none; add agent: unix:PATH to the target"),
        BadChannel(label: "console: true on connect", target: "{connect: /tmp/q.sock, console: true}",
                   steps: "  - log: x\n", line: 3, column: 39,
                   message: "console: true adds a serial port to a QEMU qmpbook launches"),
        BadChannel(label: "an unknown agent channel", target: "{launch: [qemu-system-x86_64], agent: isa-serail}",
                   steps: "  - log: x\n", line: 3, column: 45,
                   message: "agent must be isa-serial, virtio-serial or a socket (unix:PATH or tcp:HOST:PORT), not 'isa-serail' (did you mean 'isa-serial'?)"),
        BadChannel(label: "a console on a libvirt target", target: "{libvirt: {uri: \"qemu:///session\", domain: web}, console: true}",
                   steps: "  - log: x\n", line: 3, column: 56,
                   message: "console: a libvirt target takes no console channel: libvirt owns the domain's chardevs"),
        BadChannel(label: "a bad regular expression", target: "{launch: [qemu-system-x86_64], console: true}",
                   steps: "  - wait-console: \"(unclosed\"\n", line: 5, column: 19,
                   message: "wait-console: '(unclosed' is not a valid regular expression"),
        BadChannel(label: "fd on an agent step", target: "{launch: [qemu-system-x86_64], agent: virtio-serial}",
                   steps: "  - agent: guest-ping\n    fd: {path: x}\n", line: 6, column: 5,
                   message: "'fd' does not apply to an agent step"),
        BadChannel(label: "guest-exec with cwd", target: "{launch: [qemu-system-x86_64], agent: isa-serial}",
                   steps: "  - guest-exec: {argv: [ls], cwd: /}\n", line: 5, column: 30,
                   message: "unknown key 'cwd' in guest-exec"),
        BadChannel(label: "since on a later step", target: "{launch: [qemu-system-x86_64], console: true}",
                   steps: "  - wait-console: x\n    since: later\n  - id: later\n    send-console: y\n", line: 6, column: 12,
                   message: "since names step 'later', which comes after this one"),
    ]

    @Test(arguments: badChannels)
    func checkReportsABadChannelUseAtItsPlace(input: BadChannel) async throws {
        let folder = try TemporaryDirectory(prefix: "check")
        defer { folder.remove() }
        let path = folder.file("book.yaml")
        try ("name: t\ntargets:\n  vm: \(input.target)\nsteps:\n" + input.steps).write(toFile: path, atomically: false, encoding: .utf8)
        let outcome = try await CheckCommandRunner.run(["check", path])
        #expect(outcome.status == 2)
        let expected = "\(path):\(input.line):\(input.column): "
        let line = outcome.standardError.split(separator: "\n").first { $0.hasPrefix(expected) }
        #expect(line?.contains(input.message) == true, "expected \(expected)…\(input.message) in:\n\(outcome.standardError)")
    }

    @Test func anAgentThatNeverAnswersTimesOutAndTheTargetStaysUsable() async throws {
        // QEMU stays stopped (-S): no guest runs, so nothing answers on the agent channel.
        let fixture = try RunFixture("""
            name: silent agent
            targets:
              vm:
                launch: \(RunFixture.qemu)
                agent: isa-serial
            steps:
              - name: ping
                agent: guest-ping
                timeout: 2s
                ignore-errors: true
              - name: exec
                guest-exec: [true]
                timeout: 1s
                ignore-errors: true
              - name: QMP still works
                execute: query-status
                expect: {return: {status: prelaunch}}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let ping = outcome.report.step("ping")
        #expect(ping?["status"] == "ignored")
        #expect(ping?["message"]?.stringValue?.hasPrefix("the guest agent of vm did not answer within 2s") == true, "\(String(describing: ping))")
        let duration = ping?["duration_ms"]?.doubleValue ?? 0
        #expect(duration >= 1900 && duration < 4000, "\(duration)")
        #expect(outcome.report.step("exec")?["message"]?.stringValue?.hasPrefix("the guest agent of vm did not answer within 1s") == true)
        #expect(outcome.report.step("QMP still works")?["status"] == "passed")
        #expect(outcome.report["targets"]?[0]?["agent"]?["version"] == .null)
    }

    @Test func aVirtioSerialAgentAndAConsoleOnExistingSockets() async throws {
        // A QEMU qmpbook does not own, with its own chardevs: connect to all three sockets.
        let guest = try await TestGuest.kit()
        let folder = try TemporaryDirectory(prefix: "guest")
        defer { folder.remove() }
        let console = folder.file("con.sock"), agent = folder.file("qga.sock")
        let qemu = try await QEMUProcess.start(extraArguments: [
            "-m", "256", "-no-reboot", "-kernel", guest.kernel, "-initrd", guest.initrd, "-append", "console=ttyS0 panic=-1 quiet",
            "-chardev", "socket,id=con,path=\(console),server=on,wait=off", "-serial", "chardev:con",
            "-device", "virtio-serial-pci", "-chardev", "socket,id=qga,path=\(agent),server=on,wait=off",
            "-device", "virtserialport,chardev=qga,name=org.qemu.guest_agent.0",
        ])
        defer { qemu.stop() }
        let fixture = try RunFixture("""
            name: existing sockets
            targets:
              vm: {connect: "unix:\(qemu.socketPath)", console: "unix:\(console)", agent: "unix:\(agent)"}
            defaults: {timeout: 90s}
            steps:
              - execute: cont
              - wait-console: "QMPBOOK-GUEST-READY"
              - agent: guest-ping
              - guest-exec: [ls, /sys/class/virtio-ports]
                expect: {stdout: {$regex: vport}}
            """)
        let outcome = try await fixture.run(timeout: .seconds(200))
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report["targets"]?[0]?["agent"]?["channel"] == "socket")
        #expect(qemu.isRunning, "a connect target's QEMU is left running")
    }

    @Test func theAgentAnswersOnTheMigrationDestinationWithTheGuestsState() async throws {
        let guest = try await TestGuest.kit()
        let launch = """
            [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -m, 256, -no-reboot,
                         -kernel, "\(guest.kernel)", -initrd, "\(guest.initrd)", -append, "console=ttyS0 panic=-1 quiet"
            """
        let fixture = try RunFixture("""
            name: agent after a migration
            targets:
              src:
                launch: \(launch)]
                console: true
                agent: isa-serial
                timeout: 30s
              dst:
                launch: \(launch), -incoming, defer]
                console: true
                agent: isa-serial
                timeout: 30s
            defaults: {timeout: 90s}
            steps:
              - {target: src, wait-console: "QMPBOOK-GUEST-READY"}
              - name: a mark in the guest's memory
                target: src
                guest-exec: {argv: [sh, -c, "cat > /tmp/mark"], input: "before the migration"}
              - set: {port: "${free_port()}"}
              - {target: dst, execute: migrate-incoming, arguments: {uri: "tcp:127.0.0.1:${port}"}}
              - {target: src, execute: migrate, arguments: {uri: "tcp:127.0.0.1:${port}"}}
              - {target: src, execute: query-migrate, until: {status: completed}, interval: 100ms}
              - {target: dst, execute: query-status, until: {status: running}, interval: 100ms}
              - name: ping on the destination
                target: dst
                agent: guest-ping
              - name: the mark on the destination
                target: dst
                guest-exec: [cat, /tmp/mark]
                expect: {exit: 0, stdout: "before the migration"}
            """)
        let outcome = try await fixture.run(timeout: .seconds(200))
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.step("ping on the destination")?["response"] == ["return": [:]])
        #expect(outcome.report.step("the mark on the destination")?["status"] == "passed")
        let targets = outcome.report["targets"]?.arrayValue ?? []
        let dst = try #require(targets.first { $0["name"] == "dst" })
        #expect(dst["agent"]?["version"]?.stringValue?.isEmpty == false, "\(dst)")
        #expect((dst["agent"]?["synchronisations"]?.intValue ?? 0) >= 1, "\(dst)")
        #expect(dst["agent"]?["error"] == .null)
        let src = try #require(targets.first { $0["name"] == "src" })
        #expect(src["agent"]?["error"] == .null, "the source's agent channel was not lost: \(src)")
    }
}
