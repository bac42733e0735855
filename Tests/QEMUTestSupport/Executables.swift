import Foundation

/// Finds programs the tests run.
public enum Executables {
    /// The `qmpbook` binary built next to the test bundle (`.build/debug/qmpbook`).
    public static var qmpbook: String {
        get throws {
            let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            var folder = testBinary.deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = folder.appendingPathComponent("qmpbook").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                folder = folder.deletingLastPathComponent()
            }
            let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/qmpbook"
            if FileManager.default.isExecutableFile(atPath: fallback) { return fallback }
            throw ExecutableNotFound(name: "qmpbook", searched: testBinary.deletingLastPathComponent().path)
        }
    }

    /// `qemu-system-x86_64` from PATH.
    public static var qemu: String {
        get throws { try find("qemu-system-x86_64") }
    }

    /// The full path of `name` on PATH.
    public static func find(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ExecutableNotFound(name: name, searched: path)
    }
}

public struct ExecutableNotFound: Error, CustomStringConvertible {
    public var name: String
    public var searched: String
    public var description: String { "cannot find \(name) (searched \(searched))" }
}

/// The result of running a program to completion.
public struct ProgramOutput: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

/// Runs `executable` with `arguments`, waits for it (killing it after
/// `timeout`), and returns its exit status and output.
public func runProgram(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(30)) async throws -> ProgramOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let pid = process.processIdentifier
    let killer = Task {
        try await Task.sleep(for: timeout)
        kill(pid, SIGKILL)
    }
    async let outputData = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
    async let errorData = Task.detached { error.fileHandleForReading.readDataToEndOfFile() }.value
    let (outputBytes, errorBytes) = await (outputData, errorData)
    await Task.detached { process.waitUntilExit() }.value
    killer.cancel()
    return ProgramOutput(status: process.terminationStatus,
                         standardOutput: String(decoding: outputBytes, as: UTF8.self),
                         standardError: String(decoding: errorBytes, as: UTF8.self))
}
