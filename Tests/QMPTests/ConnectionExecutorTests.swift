import Foundation
import QEMUTestSupport
import Synchronization
import Testing
@testable import QMP

/// Whether the caller runs on `monitor`'s reader thread (a synchronous
/// function, so async code may ask). By identity, not by name: Linux gives a
/// new thread its creator's name until it renames itself.
private func isOnReader(_ monitor: SocketMonitor) -> Bool {
    monitor.core.readerThreadID == System.currentThread()
}

/// Tasks that prefer ``SocketMonitor/executor`` run on the connection's
/// reader thread, get their replies and events there, and move to the
/// global executor once the connection closes.
@Suite(.timeLimit(.minutes(2)))
struct ConnectionExecutorTests {
    @Test func tasksPreferringTheReaderGetTheirRepliesAndEventsOnIt() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let events = monitor.events()
        let (threads, statuses) = try await withTaskExecutorPreference(monitor.executor) {
            try await withThrowingTaskGroup(of: (Set<Bool>, [JSONValue]).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var threads: Set<Bool> = []
                        var statuses: [JSONValue] = []
                        for _ in 0..<50 {
                            statuses.append(try await monitor.execute("query-status")["status"] ?? .null)
                            threads.insert(isOnReader(monitor))
                        }
                        return (threads, statuses)
                    }
                }
                var threads: Set<Bool> = []
                var statuses: [JSONValue] = []
                for try await (someThreads, someStatuses) in group {
                    threads.formUnion(someThreads)
                    statuses += someStatuses
                }
                return (threads, statuses)
            }
        }
        #expect(statuses.count == 400)
        #expect(statuses.allSatisfy { $0 == "prelaunch" })
        #expect(threads == [true])

        let stopName = try await withTaskExecutorPreference(monitor.executor) {
            try await monitor.execute("cont")
            try await monitor.execute("stop")
            var name: String?
            while let event = try await events.next(timeout: .seconds(10)) {
                if event.name == "STOP" {
                    name = event.name
                    #expect(isOnReader(monitor))
                    break
                }
            }
            return name
        }
        #expect(stopName == "STOP")
        await monitor.disconnect()
    }

    @Test func tasksMoveToTheGlobalExecutorOnceTheConnectionCloses() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let (before, after, error) = await withTaskExecutorPreference(monitor.executor) {
            _ = try? await monitor.execute("query-status")
            // A reply that comes before the sending task has suspended lets it
            // go on where it was; a yield always goes through the preferred executor.
            await Task.yield()
            let before = isOnReader(monitor)
            await monitor.disconnect()
            let error = await #expect(throws: QMPError.self) { try await monitor.execute("query-status") }
            return (before, isOnReader(monitor), error)
        }
        #expect(before)
        #expect(!after)
        #expect(error?.code == .connectionClosed)
    }

    /// Work given to ``ConnectionExecutor/whenIdle(_:)`` runs on the reader
    /// thread once the job that gave it has suspended, before the reply that
    /// job waits for is read; once the connection has closed, at once.
    @Test func idleWorkRunsOnTheReaderWhileACommandIsOnItsWay() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        let log = Mutex<[String]>([])
        try await withTaskExecutorPreference(monitor.executor) {
            for round in 0..<20 {
                monitor.executor.whenIdle { log.withLock { $0.append("idle \(round) on the reader: \(isOnReader(monitor))") } }
                log.withLock { $0.append("sent \(round)") }
                _ = try await monitor.execute("query-status")
                log.withLock { $0.append("reply \(round)") }
            }
        }
        let expected = (0..<20).flatMap { ["sent \($0)", "idle \($0) on the reader: true", "reply \($0)"] }
        #expect(log.withLock { $0 } == expected)

        await monitor.disconnect()
        let ran = Flag()
        monitor.executor.whenIdle { ran.set() }
        #expect(ran.isSet)
    }

    @Test func commandTimeoutWakesATaskWaitingOnTheReader() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            try connection.readCommand(named: "query-status")   // never answered
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        let error = await withTaskExecutorPreference(monitor.executor) {
            await #expect(throws: QMPError.self) {
                try await monitor.execute("query-status", timeout: .milliseconds(200))
            }
        }
        #expect(error?.code == .timeout)
        #expect(monitor.closeReason == nil)
        await monitor.disconnect()
        try await peer.finish()
    }

    @Test func cancellingATaskWaitingOnTheReaderWakesIt() async throws {
        let received = Flag()
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            try connection.readCommand(named: "never-answered")
            received.set()
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
        _ = try await monitor.connect(timeout: testHandshakeTimeout)
        let waiting = Task(executorPreference: monitor.executor) { () -> QMPError? in
            do throws(QMPError) {
                try await monitor.execute("never-answered", timeout: .seconds(600))
                return nil
            } catch {
                return error
            }
        }
        // Cancel once the command is on the wire: cancelling between its
        // registration and its send would close the connection before the
        // peer reads it.
        while !received.isSet { try await Task.sleep(for: .milliseconds(1)) }
        waiting.cancel()
        #expect(await waiting.value?.code == .cancelled)
        #expect(monitor.core.pendingCount == 0)
        #expect(monitor.closeReason == nil)
        await monitor.disconnect()
        try await peer.finish()
    }
}
