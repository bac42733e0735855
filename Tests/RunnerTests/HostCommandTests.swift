import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing
@testable import Runner

@Suite(.timeLimit(.minutes(1))) struct HostCommandTests {
    /// Whether `pid` is gone; waits up to 5 s, since init reaps an orphan a moment after it dies.
    private func isGone(_ pid: Int32) async -> Bool {
        for _ in 0..<500 {
            if Glibc.kill(pid, 0) != 0 || Self.isZombieOfInit(pid) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Whether no live process is left in the process group `group` (waits up to 5 s).
    private func groupIsGone(_ group: Int32) async -> Bool {
        for _ in 0..<500 {
            if ProcessGroup.liveMembers(of: group).isEmpty { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// A zombie no one has reaped yet is dead already (init here reaps orphans lazily).
    private static func isZombieOfInit(_ pid: Int32) -> Bool {
        ProcessGroup.state(of: pid)?.state == "Z"
    }

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func trueExitsWithStatusZeroAndNoOutput() async throws {
        let result = try await HostCommand(["true"]).run()
        #expect(result.exit == .exited(0))
        #expect(result.ending == nil)
        #expect(result.value == ["exit": 0, "signal": nil, "stdout": "", "stderr": "", "json": nil])
        #expect(await groupIsGone(result.pid))
    }

    @Test func falseExitsWithStatusOne() async throws {
        let result = try await HostCommand(["false"]).run()
        #expect(result.exit == .exited(1))
        #expect(result.value["exit"] == 1)
    }

    @Test func aMissingProgramIsAnErrorNamingIt() async {
        await #expect {
            try await HostCommand(["qmpbook-no-such-program", "x"]).run()
        } throws: { error in
            "\(error)" == "cannot start qmpbook-no-such-program: no such program on PATH"
        }
    }

    @Test func aMissingFolderIsAnErrorNamingIt() async {
        var command = HostCommand(["true"])
        command.directory = "/nonexistent/qmpbook-folder"
        await #expect {
            try await command.run()
        } throws: { error in
            "\(error)" == "cannot start true in /nonexistent/qmpbook-folder: No such file or directory"
        }
    }

    @Test func anEmptyCommandIsAnError() async {
        await #expect(throws: RunnerError.self) { try await HostCommand([]).run() }
    }

    @Test func stdinIsFedAndClosed() async throws {
        var command = HostCommand(["cat"])
        command.input = Array("one\ntwo\n".utf8)
        let result = try await command.run()
        #expect(result.exit == .exited(0))
        #expect(text(result.standardOutput) == "one\ntwo\n")
    }

    @Test func stdinIsDevNullByDefault() async throws {
        let result = try await HostCommand(["sh", "-c", "readlink /proc/self/fd/0; cat"]).run()
        #expect(text(result.standardOutput) == "/dev/null\n")
    }

    @Test func theEnvironmentIsAddedToTheInheritedOne() async throws {
        var command = HostCommand(["sh", "-c", "echo \"$QMPBOOK_TEST_VALUE:$HOME\""])
        command.environment = ["QMPBOOK_TEST_VALUE": "added"]
        let result = try await command.run()
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        #expect(text(result.standardOutput) == "added:\(home)\n")
    }

    @Test func runsInTheGivenFolder() async throws {
        let folder = try TemporaryDirectory()
        var command = HostCommand(["pwd", "-P"])
        command.directory = folder.path
        let result = try await command.run()
        let expected = URL(fileURLWithPath: folder.path).resolvingSymlinksInPath().path
        #expect(text(result.standardOutput) == expected + "\n")
    }

    @Test func stderrIsKeptApartFromStdout() async throws {
        let result = try await HostCommand(["sh", "-c", "echo out; echo err >&2; exit 3"]).run()
        #expect(result.value == ["exit": 3, "signal": nil, "stdout": "out\n", "stderr": "err\n", "json": nil])
    }

    @Test func stdoutThatIsOneJSONDocumentIsParsed() async throws {
        let result = try await HostCommand(["echo", #" {"format": "qcow2", "size": [1, 2]} "#]).run()
        #expect(result.value["json"] == ["format": "qcow2", "size": [1, 2]])
        let two = try await HostCommand(["echo", "{} {}"]).run()
        #expect(two.value["json"] == .null)
    }

    @Test func threeMebibytesOfOutputAreCutAtOneAndTheProgramStillFinishes() async throws {
        let result = try await HostCommand(["head", "-c", "3145728", "/dev/zero"]).run()
        #expect(result.exit == .exited(0))
        #expect(result.standardOutput.count == 1 << 20)
        #expect(result.standardOutputTruncated)
        #expect(!result.standardErrorTruncated)
        #expect(result.reportValue["stdout_truncated"] == true)
        #expect(result.reportValue["stderr_truncated"] == false)
    }

    @Test func largeInputAndOutputFlowAtTheSameTime() async throws {
        var command = HostCommand(["cat"])
        command.input = [UInt8](repeating: 0x61, count: 3 << 20)
        command.outputLimit = 1000
        let result = try await command.run()
        #expect(result.exit == .exited(0))
        #expect(result.standardOutput == [UInt8](repeating: 0x61, count: 1000))
        #expect(result.standardOutputTruncated)
    }

    @Test func aReaderThatStopsEarlyDoesNotHurtQmpbook() async throws {
        var command = HostCommand(["head", "-c", "1"])
        command.input = [UInt8](repeating: 0x62, count: 1 << 20)
        let result = try await command.run()
        #expect(result.exit == .exited(0))
        #expect(text(result.standardOutput) == "b")
    }

    @Test func aSignalIsReportedByName() async throws {
        let result = try await HostCommand(["sh", "-c", "kill -USR1 $$"]).run()
        #expect(result.exit == .signaled(SIGUSR1))
        #expect(result.value["exit"] == .null)
        #expect(result.value["signal"] == "SIGUSR1")
    }

    @Test func aTimeoutEndsTheWholeProcessGroup() async throws {
        var command = HostCommand(["sh", "-c", "sleep 100 & echo $!; sleep 100"])
        command.timeout = .seconds(2)
        let result = try await command.run()
        #expect(result.ending == .timedOut)
        #expect(result.exit == .signaled(SIGTERM))
        let background = try #require(Int32(text(result.standardOutput).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await isGone(background))
        #expect(await groupIsGone(result.pid))
    }

    /// Starts `script` (which writes the pid of a background child to `$1`), waits until that file
    /// is written, then cancels the run; returns the result and the background pid.
    private func cancelOnceStarted(_ script: String, killGrace: Duration = .seconds(2)) async throws -> (HostCommandResult, Int32) {
        let folder = try TemporaryDirectory()
        let file = folder.path + "/background.pid"
        var command = HostCommand(["sh", "-c", script, "sh", file])
        command.killGrace = killGrace
        let frozen = command
        let task = Task { try await frozen.run() }
        var background: Int32?
        for _ in 0..<3000 where background == nil {
            let written = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            if written.hasSuffix("\n") { background = Int32(written.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if background == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        task.cancel()
        return (try await task.value, try #require(background))
    }

    @Test func aGroupThatIgnoresSIGTERMGetsSIGKILLAfterTheGrace() async throws {
        let (result, background) = try await cancelOnceStarted(
            "trap '' TERM; sleep 100 & echo $! > \"$1\"; sleep 100", killGrace: .milliseconds(200))
        #expect(result.ending == .cancelled)
        #expect(result.exit == .signaled(SIGKILL))
        #expect(await isGone(background))
        #expect(await groupIsGone(result.pid))
    }

    @Test func cancellationEndsTheWholeProcessGroup() async throws {
        let (result, background) = try await cancelOnceStarted("sleep 100 & echo $! > \"$1\"; sleep 100")
        #expect(result.ending == .cancelled)
        #expect(result.exit == .signaled(SIGTERM))
        #expect(await isGone(background))
        #expect(await groupIsGone(result.pid))
    }

    @Test func whatTheProgramLeavesRunningInItsGroupIsKilledWhenItExits() async throws {
        let result = try await HostCommand(["sh", "-c", "sleep 100 >/dev/null 2>&1 & echo $!"]).run()
        #expect(result.exit == .exited(0))
        #expect(result.ending == nil)
        let background = try #require(Int32(text(result.standardOutput).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await isGone(background))
        #expect(await groupIsGone(result.pid))
    }

    @Test func aBackgroundChildHoldingStdoutDoesNotKeepTheCommandRunning() async throws {
        var command = HostCommand(["sh", "-c", "sleep 100 & echo started"])
        command.timeout = .seconds(100)
        let result = try await command.run()
        #expect(result.exit == .exited(0))
        #expect(result.ending == nil)
        #expect(text(result.standardOutput) == "started\n")
        #expect(await groupIsGone(result.pid))
    }
}
