import Foundation
import QEMUTestSupport
import QMP
import Testing

/// libvirt is in the binary but loaded (dlopen) only for a libvirt target or
/// address: the dynamic loader's own log (`LD_DEBUG=files`) shows which.
@Suite(.timeLimit(.minutes(2))) struct LibvirtLoadingTests {
    @Test func aRunWithoutLibvirtTargetsNeverLoadsLibvirt() async throws {
        let fixture = try RunFixture("""
            name: no libvirt here
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
            """)
        let outcome = try await runProgram(
            try Executables.qmpbook, ["run", fixture.playbook, "--report", fixture.reportPath],
            environment: ["LD_DEBUG": "files"])
        #expect(outcome.status == 0, "\(outcome.standardError.suffix(2000))")
        // The loader did log (so its silence about libvirt means something).
        #expect(outcome.standardError.contains("file=libc.so.6"))
        #expect(!outcome.standardError.contains("libvirt.so"))
    }

    @Test func execOnASocketNeverLoadsLibvirt() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let output = try await runProgram(
            try Executables.qmpbook, ["exec", "unix:\(qemu.socketPath)", "query-status"], environment: ["LD_DEBUG": "files"])
        #expect(output.status == 0, "\(output.standardError.suffix(2000))")
        #expect(output.standardError.contains("file=libc.so.6"))
        #expect(!output.standardError.contains("libvirt.so"))
    }

    @Test func aLibvirtAddressLoadsLibvirtThenAndSaysWhyItCannotConnect() async throws {
        let folder = try TemporaryDirectory(prefix: "libvirt")
        let uri = "qemu+unix:///system?socket=\(folder.file("no-daemon.sock"))"
        let output = try await runProgram(
            try Executables.qmpbook, ["exec", "libvirt:\(uri)#web-01", "query-status", "--timeout", "5s"],
            environment: ["LD_DEBUG": "files"])
        #expect(output.status == 3)
        #expect(output.standardError.contains("file=libvirt.so.0 [0];  dynamically loaded by"))
        let last = output.standardError.split(separator: "\n").last { $0.hasPrefix("qmpbook:") } ?? ""
        #expect(last.hasPrefix("qmpbook: could not connect to libvirt at \(uri): "), "\(last)")
    }
}
