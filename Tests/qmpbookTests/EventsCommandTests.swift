import Foundation
import QEMUTestSupport
import QMP
import Testing

/// `qmpbook events` as a whole process against a real QEMU with two QMP
/// sockets: one for the command under test, one for the test to drive QEMU.
@Suite(.timeLimit(.minutes(2)))
struct EventsCommandTests {
    static func startQEMU() async throws -> (QEMUProcess, String) {
        let qemu = try await QEMUProcess.start(extraMonitors: ["events.sock"])
        let second = qemu.directory.file("events.sock")
        return (qemu, second)
    }

    @Test func printsMatchingEventsAsJSONLinesUntilTheCount() async throws {
        let (qemu, socket) = try await Self.startQEMU()
        defer { qemu.stop() }
        let driver = try await qemu.connectMonitor()
        let command = BackgroundProgram(["events", socket, "--event", "STOP", "--event", "RESUME", "--count", "3", "--timeout", "20s"])
        // Drive QEMU until the command has seen its three events.
        for _ in 0..<200 where !command.isFinished {
            try await driver.execute("cont")
            try await driver.execute("stop")
            try await Task.sleep(for: .milliseconds(50))
        }
        let output = try await command.output()
        await driver.disconnect()
        #expect(output.status == 0)
        let lines = try output.standardOutput.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        #expect(lines.count == 3)
        for line in lines {
            let name = line["event"]?.stringValue
            #expect(name == "STOP" || name == "RESUME")
            #expect(line["timestamp"]?["seconds"]?.intValue != nil)
        }
    }

    @Test func matchFiltersOnTheEventData() async throws {
        let (qemu, socket) = try await Self.startQEMU()
        defer { qemu.stop() }
        let driver = try await qemu.connectMonitor()
        let command = BackgroundProgram(["events", socket, "--event", "DEVICE_DELETED", "--match", #"{"device": {"$regex": "^t2$"}}"#, "--count", "1", "--timeout", "20s"])
        for _ in 0..<100 where !command.isFinished {
            try await driver.execute("device_add", arguments: ["driver": "usb-tablet", "id": "t1"])
            try await driver.execute("device_add", arguments: ["driver": "usb-tablet", "id": "t2"])
            try await driver.execute("device_del", arguments: ["id": "t1"])
            try await driver.execute("device_del", arguments: ["id": "t2"])
            try await Task.sleep(for: .milliseconds(100))
        }
        let result = try await command.output()
        await driver.disconnect()
        #expect(result.status == 0)
        let event = try JSONValue(parsing: result.standardOutput)
        #expect(event["event"] == "DEVICE_DELETED")
        #expect(event["data"]?["device"] == "t2")
    }

    @Test func badMatchPatternIsABadInvocation() async throws {
        let output = try await runProgram(try Executables.qmpbook, ["events", "unix:/nonexistent.sock", "--match", #"{"device": {"$regx": "t"}}"#])
        #expect(output.status == 2)
        #expect(output.standardError.contains("unknown operator '$regx' (did you mean '$regex'?)"))
        #expect(output.standardError.split(separator: "\n").count == 1)
    }

    @Test func timeoutBeforeTheCountExitsOne() async throws {
        let (qemu, socket) = try await Self.startQEMU()
        defer { qemu.stop() }
        let output = try await runProgram(try Executables.qmpbook, ["events", socket, "--event", "STOP", "--count", "1", "--timeout", "300ms"])
        #expect(output.status == 1)
        #expect(output.standardError.split(separator: "\n").count == 1)
    }

    @Test func timeoutWithoutACountExitsZero() async throws {
        let (qemu, socket) = try await Self.startQEMU()
        defer { qemu.stop() }
        let output = try await runProgram(try Executables.qmpbook, ["events", socket, "--timeout", "300ms"])
        #expect(output.status == 0)
    }

    @Test func qemuExitingEndsTheStreamWithExitThree() async throws {
        let (qemu, socket) = try await Self.startQEMU()
        defer { qemu.stop() }
        let driver = try await qemu.connectMonitor()
        let command = try RunningProgram(try Executables.qmpbook, ["events", socket])
        // Once an event shows up in its output, the command is surely subscribed.
        for _ in 0..<400 where command.standardOutput.isEmpty {
            try await driver.execute("cont")
            try await driver.execute("stop")
            try await Task.sleep(for: .milliseconds(25))
        }
        _ = try? await driver.execute("quit")
        let output = await command.wait()
        #expect(output.status == 3)
        #expect(output.standardOutput.contains("SHUTDOWN"))
        #expect(output.standardError.contains("closed"))
    }
}

/// `qmpbook` with `arguments`, running in the background.
final class BackgroundProgram: Sendable {
    private let task: Task<ProgramOutput, any Error>
    private let done = Flag()

    init(_ arguments: [String]) {
        let done = self.done
        task = Task {
            defer { done.set() }
            return try await runProgram(try Executables.qmpbook, arguments)
        }
    }

    var isFinished: Bool { done.isSet }

    func output() async throws -> ProgramOutput { try await task.value }
}
