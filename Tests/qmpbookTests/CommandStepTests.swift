import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

/// `command` steps through the built binary: real programs, real qemu-img, real QEMU as the target.
@Suite(.timeLimit(.minutes(2))) struct CommandStepTests {
    static let qemuTarget = "targets:\n  vm: {launch: \(RunFixture.qemu)}\n"

    /// Reads a pid a script wrote to `name` in the fixture's folder, waiting up to 30 s for it.
    private func pid(in fixture: RunFixture, _ name: String) async throws -> Int32 {
        for _ in 0..<1500 {
            let text = (try? fixture.read(name)) ?? ""
            if text.hasSuffix("\n"), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return pid }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BackgroundRunFailure(message: "\(name) was not written")
    }

    /// Whether `pid` is gone, waiting up to 5 s (init reaps orphans a moment after they die).
    private func isGone(_ pid: Int32) async -> Bool {
        for _ in 0..<250 {
            if !processExists(pid) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test func commandsPrepareCheckAndRegister() async throws {
        let fixture = try RunFixture("""
            name: commands
            \(Self.qemuTarget)steps:
              - name: make a disk
                command: [qemu-img, create, -f, qcow2, "${run.dir}/disk.qcow2", 64M]
              - name: look at it
                command:
                  argv: [qemu-img, info, --output=json, disk.qcow2]
                  cwd: "${run.dir}"
                  env: {LC_ALL: C}
                expect: {exit: 0, json: {format: qcow2}}
                register: info
              - name: size
                log: "size ${info.json.virtual-size}"
              - name: feed stdin
                command: {argv: [cat], stdin: "hello"}
                expect: {stdout: hello, stderr: ""}
              - name: a wanted failure
                command: [sh, -c, "echo oops >&2; exit 3"]
                expect: {exit: 3, stderr: {$regex: "^oops"}}
              - name: environment
                command: {argv: [sh, -c, "echo $QMPBOOK_WORD"], env: {QMPBOOK_WORD: "${info.json.format}"}}
                expect: {stdout: "qcow2\\n"}
              - name: default folder
                command: [pwd]
                register: folder
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = outcome.report
        #expect(report.statuses == ["passed", "passed", "passed", "passed", "passed", "passed", "passed"])
        #expect(report.step("size")?["response"] == "size 67108864")
        let look = try #require(report.step("look at it"))
        #expect(look["action"] == "command")
        #expect(look["target"] == .null)
        #expect(look["request"]?["command"] == ["qemu-img", "info", "--output=json", "disk.qcow2"])
        #expect(look["request"]?["cwd"]?.stringValue?.hasPrefix("/") == true)
        #expect(look["response"]?["exit"] == 0)
        #expect(look["response"]?["signal"] == .null)
        #expect(look["response"]?["json"]?["format"] == "qcow2")
        #expect(look["response"]?["stdout_truncated"] == false)
        #expect(look["response"]?["stderr_truncated"] == false)
        #expect(look["attempts"] == 1)
        let folder = URL(fileURLWithPath: fixture.folder.path).resolvingSymlinksInPath().path
        #expect(report.step("default folder")?["response"]?["stdout"]?.stringValue == folder + "\n")
    }

    @Test func aFailingCommandFailsTheStepWithItsStatusAndStderr() async throws {
        let fixture = try RunFixture("""
            name: failing
            \(Self.qemuTarget)steps:
              - name: fails
                command: [sh, -c, "echo broken disk >&2; exit 2"]
              - log: never
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        #expect(outcome.report.statuses == ["failed", "skipped"])
        #expect(outcome.report.step("fails")?["message"] == "the command exited with status 2; stderr: broken disk")
        #expect(outcome.report["message"]?.stringValue?.hasSuffix("failed: the command exited with status 2; stderr: broken disk") == true)
    }

    @Test func aMissingProgramIsExit1NamingIt() async throws {
        let fixture = try RunFixture("""
            name: missing
            \(Self.qemuTarget)steps:
              - name: run it
                command: [qmpbook-no-such-program, --help]
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        #expect(outcome.report.step("run it")?["status"] == "failed")
        #expect(outcome.report.step("run it")?["message"] == "cannot start qmpbook-no-such-program: no such program on PATH")
        #expect(outcome.standardOutput.contains("cannot start qmpbook-no-such-program: no such program on PATH"))
    }

    @Test func aCommandPastItsTimeoutLosesItsWholeProcessGroup() async throws {
        let fixture = try RunFixture("""
            name: slow
            \(Self.qemuTarget)steps:
              - name: hangs
                command: [sh, -c, "echo $$ > leader.pid; sleep 100 & echo $! > child.pid; sleep 100"]
                timeout: 1s
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        let step = try #require(outcome.report.step("hangs"))
        #expect(step["status"] == "timeout")
        #expect(step["response"]?["signal"] == "SIGTERM")
        #expect(step["message"]?.stringValue?.hasPrefix("the command did not finish within 1s") == true)
        #expect(await isGone(try await pid(in: fixture, "leader.pid")))
        #expect(await isGone(try await pid(in: fixture, "child.pid")))
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalToQmpbookEndsTheRunningCommandsGroup(signal: Int32, expected: Int32) async throws {
        let fixture = try RunFixture("""
            name: interrupted command
            \(Self.qemuTarget)steps:
              - name: runs long
                command: [sh, -c, "trap '' TERM; echo $$ > leader.pid; sleep 100 & echo $! > child.pid; sleep 100"]
                timeout: 5m
            """)
        let run = try BackgroundRun(fixture, [])
        let leader = try await pid(in: fixture, "leader.pid")
        let child = try await pid(in: fixture, "child.pid")
        kill(run.pid, signal)
        let status = await run.waitForExit(timeout: .seconds(30))
        #expect(status == expected)
        #expect(try fixture.readReport().step("runs long")?["status"] == "error")
        #expect(await isGone(leader), "the command's shell \(leader) was left running")
        #expect(await isGone(child), "the command's child \(child) was left running")
    }

    @Test func untilRerunsTheCommandUntilItsResultMatches() async throws {
        let fixture = try RunFixture("""
            name: polling
            \(Self.qemuTarget)steps:
              - name: count
                command: [sh, -c, "echo x >> tries; wc -l < tries"]
                until: {stdout: {$regex: "^3"}}
                interval: 10ms
                timeout: 20s
              - name: never
                command: [echo, no]
                until: {stdout: "yes\\n"}
                interval: 100ms
                timeout: 1s
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        #expect(outcome.report.step("count")?["status"] == "passed")
        #expect(outcome.report.step("count")?["attempts"] == 3)
        #expect(outcome.report.step("never")?["status"] == "timeout")
    }

    @Test func bigOutputIsCutAtOneMebibyteAndSaysSo() async throws {
        let fixture = try RunFixture("""
            name: big
            \(Self.qemuTarget)steps:
              - name: three mebibytes
                command: [head, -c, "3145728", /dev/zero]
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0)
        let response = try #require(outcome.report.step("three mebibytes")?["response"])
        #expect(response["stdout_truncated"] == true)
        #expect(response["stdout"]?.stringValue?.utf8.count == 1 << 20)
    }

    @Test func aRedactedCommandShowsNeitherArgvNorOutput() async throws {
        let fixture = try RunFixture("""
            name: secret
            \(Self.qemuTarget)steps:
              - name: secret
                command: [echo, hunter2]
                redact: true
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0)
        let step = try #require(outcome.report.step("secret"))
        #expect(step["request"]?["command"] == "<redacted>")
        #expect(step["response"] == "<redacted>")
        #expect(!(try String(contentsOfFile: fixture.reportPath, encoding: .utf8)).contains("hunter2"))
    }

    struct BadCommand: CustomTestStringConvertible, Sendable {
        var label: String
        var step: String
        var line: Int
        var column: Int
        var message: String
        var testDescription: String { label }
    }

    static let badCommands: [BadCommand] = [
        BadCommand(label: "a string", step: "  - command: qemu-img\n", line: 5, column: 14,
                   message: "command must be a list (the program and its arguments) or a map with argv, env, cwd and stdin, not a string"),
        BadCommand(label: "an empty list", step: "  - command: []\n", line: 5, column: 14,
                   message: "command needs at least the program to run"),
        BadCommand(label: "an unknown long-form key", step: "  - command: {argv: [cat], stdn: x}\n", line: 5, column: 28,
                   message: "unknown key 'stdn' in command (did you mean 'stdin'?)"),
        BadCommand(label: "no argv", step: "  - command: {cwd: /tmp}\n", line: 5, column: 14,
                   message: "argv"),
        BadCommand(label: "an unknown expect key", step: "  - command: [true]\n    expect: {exitt: 0}\n", line: 6, column: 14,
                   message: "unknown key 'exitt' in a command's expect (did you mean 'exit'?)"),
        BadCommand(label: "a target", step: "  - command: [true]\n    target: vm\n", line: 6, column: 5,
                   message: "'target' does not apply to a command step"),
        BadCommand(label: "an fd", step: "  - command: [true]\n    fd: {path: x}\n", line: 6, column: 5,
                   message: "'fd' does not apply to a command step"),
        BadCommand(label: "a bad pattern", step: "  - command: [true]\n    expect: {exit: {$gt: x}}\n", line: 6, column: 21,
                   message: "in expect.exit: $gt takes a number, not a string"),
        BadCommand(label: "until and expect", step: "  - command: [true]\n    expect: {exit: 0}\n    until: {exit: 0}\n",
                   line: 7, column: 12, message: "a step takes until or expect, not both"),
    ]

    @Test(arguments: badCommands)
    func checkReportsABadCommandAtItsPlace(input: BadCommand) async throws {
        let folder = try TemporaryDirectory(prefix: "check")
        let path = folder.file("book.yaml")
        try ("name: t\ntargets:\n  vm: {connect: /tmp/q.sock}\nsteps:\n" + input.step)
            .write(toFile: path, atomically: false, encoding: .utf8)
        let outcome = try await CheckCommandRunner.run(["check", path])
        #expect(outcome.status == 2)
        let expected = "\(path):\(input.line):\(input.column): "
        let line = outcome.standardError.split(separator: "\n").first { $0.hasPrefix(expected) }
        #expect(line?.contains(input.message) == true, "expected \(expected)…\(input.message) in:\n\(outcome.standardError)")
    }
}
