import Foundation
import QEMUTestSupport
import QMP
import Testing

/// `qmpbook shell libvirt:URI#DOMAIN`: the address `exec` takes, events from
/// libvirt's stream, and a recording whose target is the libvirt domain.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: LibvirtHosts.available, libvirtHostsMissing))
struct ShellLibvirtTests {
    @Test func aShellOnALibvirtDomainRecordsALibvirtTarget() async throws {
        let name = LibvirtHosts.uniqueName("shell")
        let folder = try TemporaryDirectory(prefix: "libvirt")
        let xmlPath = folder.file("domain.xml")
        try LibvirtHosts.domainXML(name: name).write(toFile: xmlPath, atomically: false, encoding: .utf8)
        let created = try await runProgram(try Executables.find("virsh"), ["-c", LibvirtHosts.unix, "create", xmlPath, "--paused"])
        try #require(created.status == 0, "\(created.standardError)")
        defer { _ = try? runProgramBlocking("virsh", ["-c", LibvirtHosts.unix, "destroy", name]) }

        let input = folder.file("input.txt")
        try "query-status\ncont\n:wait RESUME 30s\nstop\n:wait STOP 30s\n".write(toFile: input, atomically: true, encoding: .utf8)
        let record = folder.file("session.yaml")
        let qmpbook = try Executables.qmpbook
        let command = [qmpbook, "shell", "libvirt:\(LibvirtHosts.unix)#\(name)", "--record", record, "--timeout", "30s"]
            .map { "'\($0)'" }.joined(separator: " ")
        let output = try await runProgram("/bin/sh", ["-c", "\(command) < '\(input)'"], environment: ["XDG_STATE_HOME": folder.path])
        #expect(output.status == 0, "\(output.standardError)")
        let lines = output.standardOutput.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
        #expect(lines.first?["return"]?["status"] == "paused" || lines.first?["return"]?["status"] == "prelaunch")
        #expect(lines.contains { $0["return"]?["event"] == "RESUME" })
        #expect(lines.contains { $0["return"]?["event"] == "STOP" })

        let playbook = try String(contentsOfFile: record, encoding: .utf8)
        #expect(playbook.contains(#"    libvirt: {uri: "\#(LibvirtHosts.unix)", domain: "\#(name)"}"#), "\(playbook)")
        #expect(playbook.contains(#"  - wait-event: "RESUME""#))
        let run = try await runProgram(qmpbook, ["run", record, "--report", folder.file("report.json")], timeout: .seconds(90))
        #expect(run.status == 0, "\(run.standardError)")
    }
}
