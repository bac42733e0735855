import Foundation
import QEMUTestSupport
import Testing
import QMP

/// `mode: write` truncates the file it passes, like `fopen("w")`, in both
/// `qmpbook exec --fd PATH:write` and a playbook step's `fd:` (one opener).
@Suite(.timeLimit(.minutes(2))) struct FileDescriptorModeTests {
    static let oldContents = Data("an earlier, longer file\n".utf8)

    @Test func execFdWriteTruncates() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let path = qemu.directory.file("passed.bin")
        try Self.oldContents.write(to: URL(fileURLWithPath: path))
        let output = try await runProgram(try Executables.qmpbook, ["exec", qemu.socketPath, "getfd", #"{"fdname": "f"}"#, "--fd", "\(path):write"])
        #expect(output.status == 0, "\(output.standardError)")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 0)
    }

    @Test func playbookFdWriteTruncatesAndAppendKeeps() async throws {
        let fixture = try RunFixture("""
            name: fd modes
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - {execute: getfd, arguments: {fdname: w}, fd: {path: "${playbook.dir}/written.bin", mode: write}}
              - {execute: getfd, arguments: {fdname: a}, fd: {path: "${playbook.dir}/appended.bin", mode: append}}
            """)
        let written = fixture.folder.file("written.bin")
        let appended = fixture.folder.file("appended.bin")
        try Self.oldContents.write(to: URL(fileURLWithPath: written))
        try Self.oldContents.write(to: URL(fileURLWithPath: appended))
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed"])
        #expect(try FileManager.default.attributesOfItem(atPath: written)[.size] as? Int == 0)
        #expect(FileManager.default.contents(atPath: appended) == Self.oldContents)
    }
}
