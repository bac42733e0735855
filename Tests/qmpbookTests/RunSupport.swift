import Foundation
import Glibc
import QEMUTestSupport
import QMP

/// A folder with a playbook in it, and the built `qmpbook run` pointed at it.
final class RunFixture: Sendable {
    let folder: TemporaryDirectory
    let playbook: String
    let reportPath: String

    /// The QEMU command line the test playbooks launch (no guest, paused).
    static let qemu = "[qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S, -device, \"qemu-xhci,id=xhci\"]"

    init(_ yaml: String, name: String = "book.yaml") throws {
        folder = try TemporaryDirectory(prefix: "run")
        playbook = folder.file(name)
        reportPath = folder.file("report.json")
        try yaml.write(toFile: playbook, atomically: false, encoding: .utf8)
    }

    struct Outcome {
        var status: Int32
        var standardOutput: String
        var standardError: String
        var report: JSONValue
    }

    /// Runs `qmpbook run PLAYBOOK --report FOLDER/report.json ARGUMENTS` to completion.
    func run(_ arguments: [String] = [], timeout: Duration = .seconds(60)) async throws -> Outcome {
        let output = try await runProgram(
            try Executables.qmpbook, ["run", playbook, "--report", reportPath] + arguments, timeout: timeout)
        return Outcome(
            status: output.status, standardOutput: output.standardOutput, standardError: output.standardError,
            report: try readReport())
    }

    func readReport() throws -> JSONValue {
        try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: reportPath))))
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: folder.file(name), encoding: .utf8)
    }
}

extension JSONValue {
    /// The steps of a report, by name.
    func step(_ name: String) -> JSONValue? {
        self["steps"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    /// The statuses of a report's steps, in order.
    var statuses: [String] {
        (self["steps"]?.arrayValue ?? []).compactMap { $0["status"]?.stringValue }
    }

    /// The pids of the QEMUs a report says were launched: every instance of every target.
    var launchedPIDs: [Int32] {
        var pids: Set<Int32> = []
        for target in self["targets"]?.arrayValue ?? [] {
            if let pid = target["process"]?["pid"]?.intValue { pids.insert(Int32(pid)) }
            for instance in target["instances"]?.arrayValue ?? [] {
                if let pid = instance["pid"]?.intValue { pids.insert(Int32(pid)) }
            }
        }
        return pids.sorted()
    }

    /// The report entry of target `name`.
    func target(_ name: String) -> JSONValue? {
        self["targets"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }
}

/// Whether a process with this pid exists (and is not a zombie of ours).
func processExists(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    return !status.contains("State:\tZ")
}

/// The children of process `pid` (every thread's), from /proc, without the
/// process-group watchdogs qmpbook forks next to each QEMU (`qmpbook-watch`).
func childProcesses(of pid: Int32) -> [Int32] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    var children: [Int32] = []
    for task in tasks {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
        children += text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
    return children.filter { child in
        let name = (try? String(contentsOfFile: "/proc/\(child)/comm", encoding: .utf8)) ?? ""
        return name.trimmingCharacters(in: .whitespacesAndNewlines) != "qmpbook-watch"
    }
}

/// A `qmpbook run` started in the background, for signals and faults mid-run.
final class BackgroundRun: @unchecked Sendable {
    // @unchecked Sendable: `process` is set up in init and only read after;
    // Foundation.Process is thread-safe for these calls.
    let process: Process
    let fixture: RunFixture

    init(_ fixture: RunFixture, _ arguments: [String]) throws {
        self.fixture = fixture
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Executables.qmpbook)
        process.arguments = ["run", fixture.playbook, "--report", fixture.reportPath,
                             "--jsonl", fixture.folder.file("run.jsonl")] + arguments
        // Run directories inside the fixture: a qmpbook killed by a test cannot remove its own.
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": fixture.folder.path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits until the JSON lines say step `index` started (and fails after `timeout`).
    func waitForStep(_ index: Int, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        let marker = "\"type\":\"step-started\""
        while ContinuousClock.now < deadline {
            let text = (try? fixture.read("run.jsonl")) ?? ""
            for line in text.split(separator: "\n") where line.contains(marker) {
                if let value = try? JSONValue(parsing: String(line)), value["index"]?.intValue == Int64(index) {
                    return
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BackgroundRunFailure(message: "step \(index) did not start within \(timeout)")
    }

    /// Waits for qmpbook to exit (killing it after `timeout`) and returns its exit status.
    func waitForExit(timeout: Duration = .seconds(30)) async -> Int32 {
        await exitStatus(of: process, killingAfter: timeout)
    }
}

struct BackgroundRunFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
