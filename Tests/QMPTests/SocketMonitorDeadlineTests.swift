import Dispatch
import QEMUTestSupport
import Testing
@testable import QMP

/// The engine's deadlines on a ``TestClock``: command timeouts, the
/// handshake's, event waits and the sharing of deadline checks, against a
/// scripted peer that stays silent. No test sleeps: time moves only in
/// `clock.advance(by:)`, and the test checks what is pending before and
/// after each step.
@Suite(.timeLimit(.minutes(1)))
struct SocketMonitorDeadlineTests {
    let clock = TestClock()

    func dial(_ peer: ScriptedPeer) async throws -> SocketMonitor {
        var options = MonitorOptions()
        options.clock = clock
        return try await SocketMonitor.dial(peer.address, timeout: .seconds(5), options: options)
    }

    /// Dials `peer` and completes the handshake, then moves the clock past
    /// the handshake's own deadlines, so only the test's are left on it.
    func connected(_ peer: ScriptedPeer) async throws -> SocketMonitor {
        let monitor = try await dial(peer)
        _ = try await monitor.connect(timeout: .seconds(1))
        clock.advance(by: .seconds(1))
        #expect(clock.scheduledCount == 0)
        return monitor
    }

    /// `monitor.execute(command, timeout:)` in a task of its own.
    func executeLater(_ monitor: SocketMonitor, _ command: String, timeout: Duration) -> Task<Result<JSONValue, QMPError>, Never> {
        Task {
            do throws(QMPError) {
                return .success(try await monitor.execute(command, timeout: timeout))
            } catch {
                return .failure(error)
            }
        }
    }

    /// A peer that greets, answers the capabilities, then reads `commands`
    /// without answering and waits for the end of the stream.
    func silentAfterHandshake(reading commands: [String]) throws -> ScriptedPeer {
        try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            for command in commands { try connection.readCommand(named: command) }
            try connection.expectEnd()
        }
    }

    @Test func commandTimesOutAtItsDeadlineAndNotBefore() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            let slow = try connection.readCommand(named: "slow-command")
            let next = try connection.readCommand(named: "query-status")
            // The late reply comes first; it must be dropped, not given to `next`.
            connection.send(#"{"return": {"late": true}, "id": \#(slow["id"]!.jsonText)}"# + "\r\n")
            connection.send(#"{"return": {"late": false}, "id": \#(next["id"]!.jsonText)}"# + "\r\n")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await connected(peer)
        let slow = executeLater(monitor, "slow-command", timeout: .seconds(5))
        #expect(await eventually { monitor.core.pendingCount == 1 && clock.scheduledCount == 1 })

        clock.advance(by: .seconds(4.9))
        #expect(monitor.core.pendingCount == 1)
        clock.advance(by: .seconds(0.2))
        #expect(monitor.core.pendingCount == 0)
        guard case .failure(let error) = await slow.value else {
            Issue.record("expected a timeout")
            return
        }
        #expect(error.code == .timeout)
        #expect(error.command == "slow-command")
        #expect(error.description.contains("slow-command got no reply within 5s"))

        #expect(try await monitor.execute("query-status")["late"] == false)
        #expect(monitor.closeReason == nil)
        await monitor.disconnect()
        try await peer.finish()
    }

    /// Commands with the same timeout have increasing deadlines: one check
    /// on the clock covers each next one, instead of a timer entry each.
    @Test func commandsWithOneTimeoutShareOneDeadlineCheck() async throws {
        let peer = try silentAfterHandshake(reading: ["first", "second", "third"])
        defer { peer.stop() }
        let monitor = try await connected(peer)
        var tasks: [Task<Result<JSONValue, QMPError>, Never>] = []
        for (offset, name) in ["first", "second", "third"].enumerated() {
            if offset > 0 { clock.advance(by: .seconds(1)) }
            tasks.append(executeLater(monitor, name, timeout: .seconds(5)))
            #expect(await eventually { monitor.core.pendingCount == offset + 1 })
        }
        #expect(clock.scheduledDelays == [.seconds(3)])   // the first command's deadline, at 5 s

        clock.advance(by: .seconds(3))
        #expect(monitor.core.pendingCount == 2)
        #expect(clock.scheduledDelays == [.seconds(1)])   // rescheduled for the second's
        clock.advance(by: .seconds(1))
        #expect(monitor.core.pendingCount == 1)
        #expect(clock.scheduledDelays == [.seconds(1)])
        clock.advance(by: .seconds(1))
        #expect(monitor.core.pendingCount == 0)
        #expect(clock.scheduledCount == 0)

        for (task, name) in zip(tasks, ["first", "second", "third"]) {
            guard case .failure(let error) = await task.value else {
                Issue.record("\(name): expected a timeout")
                continue
            }
            #expect(error.code == .timeout)
            #expect(error.command == name)
        }
        await monitor.disconnect()
        try await peer.finish()
    }

    /// A short timeout after a long one, and a deadline after an answered
    /// command's, each fire at their own time: a shared check never
    /// postpones a deadline.
    @Test func everyCommandTimesOutAtItsOwnDeadlineWhateverItsNeighbours() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            try connection.readCommand(named: "patient")   // never answered
            let quick = try connection.readCommand(named: "quick")
            connection.send(#"{"return": {}, "id": \#(quick["id"]!.jsonText)}"# + "\r\n")
            try connection.readCommand(named: "short")
            try connection.readCommand(named: "later")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await connected(peer)
        let patient = executeLater(monitor, "patient", timeout: .seconds(600))
        #expect(await eventually { monitor.core.pendingCount == 1 })
        #expect(try await monitor.execute("quick", timeout: .milliseconds(300)) == [:])

        let short = executeLater(monitor, "short", timeout: .milliseconds(200))
        #expect(await eventually { monitor.core.pendingCount == 2 })
        clock.advance(by: .milliseconds(199))
        #expect(monitor.core.pendingCount == 2)
        clock.advance(by: .milliseconds(1))
        guard case .failure(let shortError) = await short.value else {
            Issue.record("short: expected a timeout")
            return
        }
        #expect(shortError.code == .timeout)
        #expect(shortError.command == "short")

        // At 200 ms; "later" is due at 600 ms, after quick's check at 300 ms.
        let later = executeLater(monitor, "later", timeout: .milliseconds(400))
        #expect(await eventually { monitor.core.pendingCount == 2 })
        clock.advance(by: .milliseconds(399))
        #expect(monitor.core.pendingCount == 2)
        clock.advance(by: .milliseconds(1))
        guard case .failure(let laterError) = await later.value else {
            Issue.record("later: expected a timeout")
            return
        }
        #expect(laterError.code == .timeout)
        #expect(laterError.description.contains("later got no reply within 400ms"))
        #expect(monitor.core.pendingCount == 1)

        await monitor.disconnect()
        guard case .failure(let patientError) = await patient.value else {
            Issue.record("patient: expected the connection to close")
            return
        }
        #expect(patientError.code == .connectionClosed)
        try await peer.finish()
    }

    @Test func silentPeerTimesOutTheGreetingAtItsDeadline() async throws {
        let peer = try ScriptedPeer { connection in try connection.expectEnd() }
        defer { peer.stop() }
        let monitor = try await dial(peer)
        let connecting = Task { () -> QMPError? in
            do throws(QMPError) {
                _ = try await monitor.connect(timeout: .seconds(5))
                return nil
            } catch {
                return error
            }
        }
        #expect(await eventually { monitor.core.greetingWaiterCount == 1 })
        clock.advance(by: .seconds(4.9))
        #expect(monitor.core.greetingWaiterCount == 1)
        clock.advance(by: .seconds(0.2))
        #expect(monitor.core.greetingWaiterCount == 0)
        let error = await connecting.value
        #expect(error?.code == .timeout)
        #expect(error?.description == "QEMU sent no QMP greeting within 5s")
        await monitor.disconnect()
        try await peer.finish()
    }

    /// `connect(timeout:)` is one budget: what the greeting took is not
    /// given again to `qmp_capabilities`.
    @Test func handshakeTimeoutCoversTheGreetingAndTheCapabilities() async throws {
        let greet = DispatchSemaphore(value: 0)
        let peer = try ScriptedPeer { connection in
            greet.wait()
            connection.send(ScriptedPeer.greeting)
            try connection.readCommand(named: "qmp_capabilities")   // never answered
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await dial(peer)
        let connecting = Task { () -> QMPError? in
            do throws(QMPError) {
                _ = try await monitor.connect(timeout: .seconds(5))
                return nil
            } catch {
                return error
            }
        }
        #expect(await eventually { monitor.core.greetingWaiterCount == 1 })
        clock.advance(by: .seconds(3))
        greet.signal()
        #expect(await eventually { monitor.core.pendingCount == 1 })
        clock.advance(by: .seconds(1.9))
        #expect(monitor.core.pendingCount == 1)
        clock.advance(by: .seconds(0.2))
        let error = await connecting.value
        #expect(error?.code == .timeout)
        #expect(error?.command == "qmp_capabilities")
        #expect(error?.description.contains("qmp_capabilities got no reply within 2s") == true)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func eventWaitTimesOutOnTheMonitorsClockAndKeepsTheNextEvent() async throws {
        let emit = DispatchSemaphore(value: 0)
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            emit.wait()
            connection.sendEvent("AFTER_THE_TIMEOUT")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await connected(peer)
        let events = monitor.events()
        let waiting = Task { () -> Result<Event?, QMPError> in
            do throws(QMPError) {
                return .success(try await events.next(timeout: .seconds(5)))
            } catch {
                return .failure(error)
            }
        }
        #expect(await eventually { events.waiterCount == 1 })
        clock.advance(by: .seconds(4.9))
        #expect(events.waiterCount == 1)
        clock.advance(by: .seconds(0.2))
        #expect(events.waiterCount == 0)
        guard case .failure(let error) = await waiting.value else {
            Issue.record("expected a timeout")
            return
        }
        #expect(error.code == .timeout)
        #expect(error.description == "no event arrived within 5s")

        emit.signal()
        #expect(try await events.next(timeout: .seconds(5))?.name == "AFTER_THE_TIMEOUT")
        await monitor.disconnect()
        try await peer.finish()
    }
}
