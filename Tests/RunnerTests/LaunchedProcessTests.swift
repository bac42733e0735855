import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing
@testable import Runner

@Suite(.timeLimit(.minutes(1))) struct LaunchedProcessTests {
    static let qemu = ["qemu-system-x86_64", "-M", "none", "-nodefaults", "-display", "none", "-S"]

    private func exists(_ pid: Int32) -> Bool {
        Glibc.kill(pid, 0) == 0
    }

    @Test func noticesAnExitByAnotherHandAtOnce() async throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        let process = try await LaunchedProcess.launch(Self.qemu, outputPath: folder.file("vm.log"))
        #expect(process.exit == nil)
        Glibc.kill(process.pid, SIGKILL)
        let exit = await process.waitForExit(timeout: .seconds(10))
        #expect(exit == .signaled(SIGKILL))
        #expect(exit?.description == "was killed by SIGKILL")
        #expect(!exists(process.pid))
    }

    @Test func stopWithoutQuitEndsQEMUWithSIGTERM() async throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        let socket = folder.file("vm.qmp")
        let process = try await LaunchedProcess.launch(
            Self.qemu + ["-qmp", "unix:\(socket),server=on,wait=off"], outputPath: folder.file("vm.log"))
        // Once QMP answers, QEMU runs its main loop (and handles SIGTERM).
        var monitor: SocketMonitor?
        for _ in 0..<500 where monitor == nil {
            monitor = try? await SocketMonitor.dial(.unix(path: socket), timeout: .seconds(1))
            if monitor == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let connected = try #require(monitor)
        _ = try await connected.connect(timeout: testHandshakeTimeout)
        let exit = await process.stop(grace: .seconds(5), terminateGrace: .seconds(10))
        await connected.disconnect()
        #expect(exit != nil)
        #expect(!exists(process.pid))
        // QEMU says why it stopped, in the output it kept.
        #expect(process.outputTail().contains("terminating on signal 15"))
    }

    @Test func stopRunsTheQuitActionFirst() async throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        let process = try await LaunchedProcess.launch(Self.qemu, outputPath: folder.file("vm.log"))
        let quitCalls = Counter()
        let exit = await process.stop(quit: {
            quitCalls.increment()
            process.send(signal: SIGKILL)
        })
        #expect(quitCalls.value == 1)
        #expect(exit == .signaled(SIGKILL))
    }

    @Test func aProcessThatIgnoresSIGTERMIsKilled() async throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        let process = try await LaunchedProcess.launch(
            ["sh", "-c", "trap '' TERM; echo ready; exec sleep 30"], outputPath: folder.file("sh.log"))
        // Wait until the trap is set, so SIGTERM really is ignored.
        for _ in 0..<200 where !process.outputTail().contains("ready") {
            try await Task.sleep(for: .milliseconds(10))
        }
        let exit = await process.stop(grace: .milliseconds(100), terminateGrace: .milliseconds(300))
        #expect(exit == .signaled(SIGKILL))
        #expect(!exists(process.pid))
    }

    @Test func keepsTheExitStatusAndOutputOfAFailedStart() async throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        let process = try await LaunchedProcess.launch(
            Self.qemu + ["-no-such-option"], outputPath: folder.file("vm.log"))
        let exit = await process.waitForExit(timeout: .seconds(10))
        #expect(exit == .exited(1))
        #expect(process.outputTail().contains("no-such-option"))
    }

    @Test func aMissingProgramFailsToLaunch() async throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        await #expect(throws: RunnerError.self) {
            _ = try await LaunchedProcess.launch(["/nonexistent/qemu"], outputPath: folder.file("x.log"))
        }
    }

    @Test func theEnvironmentIsAddedToQmpbooksOwn() async throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        let process = try await LaunchedProcess.launch(
            ["sh", "-c", "echo \"$QMPBOOK_TEST_VALUE ${PATH:+has-path}\""],
            environment: ["QMPBOOK_TEST_VALUE": "hello"], outputPath: folder.file("sh.log"))
        #expect(await process.waitForExit(timeout: .seconds(10)) == .exited(0))
        #expect(process.outputTail() == "hello has-path")
    }

    @Test func onExitHandlersRunOnce() async throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        let process = try await LaunchedProcess.launch(["true"], outputPath: folder.file("t.log"))
        let calls = Counter()
        process.onExit { _ in calls.increment() }
        _ = await process.waitForExit(timeout: .seconds(10))
        // The supervising thread resumes waiters before it calls handlers:
        // waitForExit returning does not mean the first handler has run.
        #expect(await eventually { calls.value == 1 })
        process.onExit { _ in calls.increment() }   // after the exit: called at once, here
        #expect(calls.value == 2)
        #expect(process.send(signal: SIGTERM) == false)
    }
}
