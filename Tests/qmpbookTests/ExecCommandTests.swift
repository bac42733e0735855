import Foundation
import QEMUTestSupport
import QMP
import Testing

/// `qmpbook exec` as a whole process against a real QEMU.
@Suite(.timeLimit(.minutes(2)))
struct ExecCommandTests {
    @Test func printsTheReplyAsJSONAndExitsZero() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let output = try await runProgram(try Executables.qmpbook, ["exec", "unix:\(qemu.socketPath)", "query-status"])
        #expect(output.status == 0)
        let reply = try JSONValue(parsing: output.standardOutput)
        #expect(reply["return"]?["status"] == "prelaunch")
        #expect(output.standardError.isEmpty)
    }

    @Test func passesArgumentsAndAcceptsABarePath() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let qmpbook = try Executables.qmpbook
        let add = try await runProgram(qmpbook, ["exec", qemu.socketPath, "device_add", #"{"driver": "usb-tablet", "id": "tablet0"}"#])
        #expect(add.status == 0)
        #expect(try JSONValue(parsing: add.standardOutput) == ["return": [:]])
        let list = try await runProgram(qmpbook, ["exec", qemu.socketPath, "qom-list", #"{"path": "/machine/peripheral"}"#, "--pretty"])
        #expect(list.status == 0)
        #expect(list.standardOutput.contains("tablet0"))
        #expect(list.standardOutput.split(separator: "\n").count > 1)
    }

    @Test func qmpErrorIsOneLineOnStderrAndExitsOne() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let output = try await runProgram(try Executables.qmpbook, ["exec", qemu.socketPath, "device_del", #"{"id": "nope"}"#])
        #expect(output.status == 1)
        #expect(output.standardOutput.isEmpty)
        let lines = output.standardError.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("DeviceNotFound") == true)
        #expect(lines.first?.contains("device_del") == true)
    }

    @Test func passesAFileWithFd() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let path = qemu.directory.file("passed.bin")
        let output = try await runProgram(try Executables.qmpbook, ["exec", qemu.socketPath, "add-fd", "--fd", "\(path):write"])
        #expect(output.status == 0)
        #expect(try JSONValue(parsing: output.standardOutput)["return"]?["fdset-id"]?.intValue != nil)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func unreachableSocketExitsThree() async throws {
        let directory = try TemporaryDirectory()
        let output = try await runProgram(try Executables.qmpbook, ["exec", directory.file("none.sock"), "query-status"])
        #expect(output.status == 3)
        #expect(output.standardError.contains("cannot connect"))
    }

    @Test(arguments: [
        ["exec", "ftp:somewhere", "query-status"],
        ["exec", "/tmp/x.sock", "query-status", "[1, 2]"],
        ["exec", "/tmp/x.sock", "query-status", "{not json"],
        ["exec", "/tmp/x.sock", "query-status", "--timeout", "soon"],
    ])
    func badArgumentsExitTwo(_ arguments: [String]) async throws {
        let output = try await runProgram(try Executables.qmpbook, arguments)
        #expect(output.status == 2)
        #expect(output.standardError.split(separator: "\n").count == 1)
    }

    /// A plain `exec ADDR COMMAND [JSON]` skips argument-parser (FastPath);
    /// the same words with an option that changes nothing (`--timeout 10s`,
    /// the default) go through it. Both must print and exit the same.
    @Test(arguments: [
        ["query-status"],
        ["device_del", #"{"id": "nope"}"#],
        ["query-status", "[1, 2]"],
        ["query-status", "{not json"],
        [" "],
    ])
    func theFastPathAndArgumentParserAgree(_ words: [String]) async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let qmpbook = try Executables.qmpbook
        let fast = try await runProgram(qmpbook, ["exec", "unix:\(qemu.socketPath)"] + words)
        let parsed = try await runProgram(qmpbook, ["exec", "unix:\(qemu.socketPath)"] + words + ["--timeout", "10s"])
        #expect(fast.status == parsed.status)
        #expect(fast.standardOutput == parsed.standardOutput)
        #expect(fast.standardError == parsed.standardError)
        #expect(fast.standardError.split(separator: "\n").count == (fast.status == 0 ? 0 : 1), "\(fast.standardError)")
    }

    @Test func versionPrintsTheVersionAlone() async throws {
        let output = try await runProgram(try Executables.qmpbook, ["--version"])
        #expect(output.status == 0)
        #expect(output.standardOutput == "0.1.0\n")
        #expect(output.standardError.isEmpty)
    }

    @Test func peerThatNeverAnswersTimesOutWithExitThree() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            try connection.readCommand(named: "query-status")   // never answered
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let output = try await runProgram(try Executables.qmpbook, ["exec", peer.address.description, "query-status", "--timeout", "300ms"])
        #expect(output.status == 3)
        #expect(output.standardError.contains("no reply within"))
        try await peer.finish()
    }

    @Test func garbageGreetingExitsThree() async throws {
        let peer = try ScriptedPeer { connection in
            connection.send("220 smtp.example.com ESMTP\r\n")
            try connection.expectEnd()
        }
        defer { peer.stop() }
        let output = try await runProgram(try Executables.qmpbook, ["exec", peer.address.description, "query-status"])
        #expect(output.status == 3)
        #expect(output.standardError.contains("greeting"))
        #expect(output.standardError.split(separator: "\n").count == 1)
        try await peer.finish()
    }
}
