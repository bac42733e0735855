import Foundation
import QEMUTestSupport
import Testing
@testable import QMP

/// The guest-agent engine against a scripted peer, for what a real qemu-ga
/// will not do on demand: noise before the sync, a reply that never comes,
/// silence. Timeouts run on a ``TestClock``: no test sleeps.
@Suite(.timeLimit(.minutes(1)))
struct GuestAgentPeerTests {
    let clock = TestClock()

    func dial(_ peer: ScriptedPeer, syncAttemptInterval: Duration = .seconds(1)) async throws -> GuestAgent {
        var options = MonitorOptions()
        options.clock = clock
        return try await GuestAgent.dial(peer.address, timeout: .seconds(5), options: options, syncAttemptInterval: syncAttemptInterval)
    }

    /// Reads one command the client sent after its 0xFF reset byte; returns it.
    static func readSync(_ connection: PeerConnection) throws -> JSONValue {
        guard let line = connection.readLine() else { throw PeerFailure(message: "the client closed the connection") }
        guard line.first == 0xFF else { throw PeerFailure(message: "a sync must start with 0xFF: \(line)") }
        let command = try JSONValue(parsing: line.dropFirst())
        guard command["execute"] == "guest-sync-delimited" else { throw PeerFailure(message: "expected a sync, got \(command)") }
        return command
    }

    static func answerSync(_ connection: PeerConnection, _ command: JSONValue, noise: String = "") {
        connection.send(Array(noise.utf8) + [0xFF]
            + Array(#"{"return": \#(command["arguments"]?["id"]?.jsonText ?? "0"), "id": \#(command["id"]?.jsonText ?? "null")}"#.utf8) + [0x0A])
    }

    @Test func discardsGarbageBeforeTheSync() async throws {
        let peer = try ScriptedPeer { connection in
            let sync = try Self.readSync(connection)
            // A stale reply of an earlier client, a line of noise, and half a
            // message, all before the agent's 0xFF.
            Self.answerSync(connection, sync, noise: "{\"return\": {}, \"id\": 99}\r\nline noise\r\n{\"retu")
            try connection.answer(#"{"version": "7.2.22", "supported_commands": [{"name": "guest-ping", "enabled": true}]}"#)
            try connection.answer()
        }
        let agent = try await dial(peer)
        let greeting = try await agent.connect(timeout: .seconds(5))
        #expect(greeting.version.major == 7 && greeting.version.micro == 22)
        #expect(greeting.capabilities == ["guest-ping"])
        #expect(try await agent.execute("guest-ping") == .object([:]))
        #expect(agent.protocolErrorCount == 0)
        #expect(agent.synchronisationCount == 1)
        await agent.disconnect()
        try await peer.finish()
    }

    @Test func resynchronisesAfterALostReply() async throws {
        let peer = try ScriptedPeer { connection in
            Self.answerSync(connection, try Self.readSync(connection))
            let lost = try connection.readCommand()      // guest-ping: no answer in time
            let sync = try Self.readSync(connection)      // the next command resynchronises first
            connection.send(#"{"return": {}, "id": \#(lost["id"]?.jsonText ?? "null")}"# + "\n")   // the late reply
            Self.answerSync(connection, sync)
            try connection.answer(#"{"id": "qmpbook"}"#)
            try connection.expectEnd()
        }
        let agent = try await dial(peer, syncAttemptInterval: .seconds(2))
        try await agent.synchronise(timeout: .seconds(5))
        let ping = Task { () -> QMPError? in
            do throws(QMPError) {
                _ = try await agent.execute("guest-ping", timeout: .milliseconds(200))
                return nil
            } catch {
                return error
            }
        }
        #expect(await eventually { agent.core.pendingCount == 1 })
        clock.advance(by: .milliseconds(199))
        #expect(agent.core.pendingCount == 1)
        clock.advance(by: .milliseconds(1))
        let error = await ping.value
        #expect(error?.code == .timeout)
        #expect(error?.description.contains("guest-ping got no reply within 200ms") == true)
        #expect(try await agent.execute("guest-get-osinfo", timeout: .seconds(5)) == .object(["id": "qmpbook"]))
        #expect(agent.synchronisationCount == 2)
        #expect(agent.closeReason == nil)
        await agent.disconnect()
        try await peer.finish()
    }

    @Test func asksAgainUntilTheAgentAnswers() async throws {
        let peer = try ScriptedPeer { connection in
            _ = try Self.readSync(connection)             // still booting: this one is lost
            Self.answerSync(connection, try Self.readSync(connection))
            guard try connection.answer()["execute"] == "guest-ping" else { throw PeerFailure(message: "expected guest-ping") }
            try connection.expectEnd()
        }
        let agent = try await dial(peer, syncAttemptInterval: .milliseconds(100))
        let ping = Task { try await agent.execute("guest-ping", timeout: .seconds(5)) }
        #expect(await eventually { agent.core.pendingCount == 1 })   // the first sync
        clock.advance(by: .milliseconds(99))
        #expect(agent.synchronisationCount == 0)
        clock.advance(by: .milliseconds(1))                          // asks again
        #expect(try await ping.value == .object([:]))
        #expect(agent.synchronisationCount == 1)
        await agent.disconnect()
        try await peer.finish()
    }

    @Test func anAgentThatNeverAnswersTimesOutAndStaysUsable() async throws {
        let peer = try ScriptedPeer { connection in
            // Asked at 0, 100, 200 and 300 ms; the last attempt gets what is left (50 ms).
            for _ in 0..<4 { _ = try Self.readSync(connection) }
            try connection.expectEnd()
        }
        let agent = try await dial(peer, syncAttemptInterval: .milliseconds(100))
        let connecting = Task { () -> QMPError? in
            do throws(QMPError) {
                _ = try await agent.connect(timeout: .milliseconds(350))
                return nil
            } catch {
                return error
            }
        }
        for step in [100, 100, 100, 50] {
            #expect(await eventually { agent.core.pendingCount == 1 })
            clock.advance(by: .milliseconds(step))
        }
        let error = await connecting.value
        #expect(error?.code == .timeout)
        #expect(error?.description == "the guest agent did not answer within 350ms")
        #expect(agent.core.pendingCount == 0)
        #expect(agent.closeReason == nil)
        await agent.disconnect()
        try await peer.finish()
    }

    @Test func refusesFileDescriptorsAndCapabilities() async throws {
        let peer = try ScriptedPeer { connection in try connection.expectEnd() }
        let agent = try await dial(peer)
        let fdError = await #expect(throws: QMPError.self) { try await agent.execute("guest-ping", passing: 0) }
        #expect(fdError?.code == .unsupported)
        let capabilityError = await #expect(throws: QMPError.self) { try await agent.connect(capabilities: ["oob"], timeout: .seconds(1)) }
        #expect(capabilityError?.code == .unsupported)
        await agent.disconnect()
        try await peer.finish()
    }
}
