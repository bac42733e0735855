import Foundation
import QEMUTestSupport
import Testing
@testable import QMP

/// The guest-agent engine against qemu-ga in the real test guest
/// (Tests/Guest/build-guest.sh), booted once under TCG.
@Suite(.timeLimit(.minutes(3)))
struct GuestAgentGuestTests {
    @Test func talksToTheRealAgentFromBootThroughGuestExec() async throws {
        let guest = try await TestGuest.kit()
        let folder = try TemporaryDirectory(prefix: "guest")
        defer { folder.remove() }
        let agentSocket = folder.file("qga.sock")
        let qemu = try await QEMUProcess.start(extraArguments: guest.arguments(agentSocket: agentSocket))
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        // Connected before the guest runs: the engine asks until qemu-ga is up.
        let agent = try await GuestAgent.dial(.unix(path: agentSocket), timeout: .seconds(5))
        try await monitor.execute("cont")
        let greeting = try await agent.connect(timeout: .seconds(120))
        #expect(greeting.capabilities.contains("guest-exec"))
        let osinfo = try await agent.execute("guest-get-osinfo")
        #expect(osinfo["id"] == "qmpbook-test-guest")

        let started = try await agent.execute("guest-exec", arguments: [
            "path": "sh", "arg": ["-c", "echo out; echo err >&2; exit 3"], "capture-output": true])
        let pid = try #require(started["pid"])
        var status = JSONValue.null
        for _ in 0..<200 {
            status = try await agent.execute("guest-exec-status", arguments: ["pid": pid])
            if status["exited"] == true { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(status["exitcode"] == 3)
        #expect(status["out-data"] == .string(Data("out\n".utf8).base64EncodedString()))
        #expect(status["err-data"] == .string(Data("err\n".utf8).base64EncodedString()))
        #expect(agent.protocolErrorCount == 0)
        await agent.disconnect()
        await monitor.disconnect()
    }
}
