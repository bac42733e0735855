import Foundation
import QEMUTestSupport
import QMP
import Testing

/// `from-libvirt` members (SPEC.md §11) on the two private libvirt hosts of
/// `Tests/Libvirt/hosts.sh`: domains made with virsh, found by a pattern over
/// their names, run as members next to a launched one.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: LibvirtHosts.available, libvirtHostsMissing))
struct FleetLibvirtTests {
    func virsh(_ uri: String, _ arguments: [String]) async throws -> ProgramOutput {
        try await runProgram(try Executables.find("virsh"), ["-c", uri] + arguments, timeout: .seconds(60))
    }

    @Test func domainsFoundOnTwoHostsAreMembers() async throws {
        let folder = try TemporaryDirectory(prefix: "fleet-libvirt")
        let prefix = LibvirtHosts.uniqueName("fleet")
        let hosts = try [#require(LibvirtHosts.unixURI(1)), #require(LibvirtHosts.unixURI(2))]
        var made: [(uri: String, name: String)] = []
        defer {
            for domain in made { _ = try? runProgramBlocking("virsh", ["-c", domain.uri, "destroy", domain.name]) }
        }
        for (number, uri) in hosts.enumerated() {
            for index in 1...2 {
                let name = "\(prefix)-h\(number + 1)-\(index)"
                let xml = folder.file("\(name).xml")
                try LibvirtHosts.domainXML(name: name).write(toFile: xml, atomically: false, encoding: .utf8)
                let created = try await virsh(uri, ["create", xml, "--paused"])
                try #require(created.status == 0, "\(created.standardError)")
                made.append((uri, name))
            }
        }
        // Host 2 over TCP (remote), host 1 over its unix socket (local).
        let tcp2 = try #require(LibvirtHosts.tcpURI(2))
        try """
            name: libvirt fleet
            vars: {where: launched}
            targets:
              vm: {launch: \(FleetFixture.qemu)}
            steps:
              - name: status
                execute: query-status
                expect: {return: {status: {$in: [prelaunch, paused]}}}
              - name: who
                log: "${member.name} on ${where}"
            """.write(toFile: folder.file("book.yaml"), atomically: false, encoding: .utf8)
        try """
            members:
              local: {}
            from-libvirt:
              - {uri: "\(hosts[0])", domains: {$regex: "^\(prefix)-"}, target: vm, vars: {where: host1}}
              - {uri: "\(tcp2)", domains: {$regex: "^\(prefix)-h2-"}, target: vm, vars: {where: host2}}
            """.write(toFile: folder.file("lab.yaml"), atomically: false, encoding: .utf8)
        let output = try await runProgram(try Executables.qmpbook, [
            "run", folder.file("book.yaml"), "--inventory", folder.file("lab.yaml"), "--parallel", "3",
            "--report", folder.file("fleet.json"), "--report-dir", folder.file("reports"),
        ])
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        let report = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: folder.file("fleet.json")))))
        #expect(report.memberNames == ["local"] + made.map(\.name))
        #expect(report["summary"]?["passed"] == 5)
        for (index, domain) in made.enumerated() {
            let member = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: folder.file("reports/\(domain.name).report.json")))))
            #expect(member["outcome"] == "passed")
            let target = try #require(member.target("vm"))
            #expect(target["mode"] == "libvirt")
            #expect(target["libvirt"]?["domain"]?.stringValue == domain.name)
            #expect(member.step("who")?["response"]?.stringValue == "\(domain.name) on host\(index < 2 ? 1 : 2)")
        }
        // The domains were left running.
        for domain in made { #expect(try await virsh(domain.uri, ["domstate", domain.name]).standardOutput.contains("paused")) }

        // check --live asks libvirt too; without --live it says it did not.
        let check = try await runProgram(try Executables.qmpbook, ["check", folder.file("book.yaml"), "--inventory", folder.file("lab.yaml")])
        #expect(check.status == 0)
        #expect(check.standardOutput.contains("ok (1 member, 2 steps, 2 from-libvirt entries not asked (--live asks))"))
        let live = try await runProgram(try Executables.qmpbook, ["check", folder.file("book.yaml"), "--inventory", folder.file("lab.yaml"), "--live"])
        #expect(live.status == 0, "\(live.standardError)")
        #expect(live.standardOutput.contains("ok (5 members, 2 steps, preflight passed)"))
    }

    @Test func aLibvirtHostThatDoesNotAnswerIsExitThree() async throws {
        let folder = try TemporaryDirectory(prefix: "fleet-libvirt")
        try """
            name: unreachable host
            targets:
              vm: {launch: \(FleetFixture.qemu)}
            steps:
              - execute: query-status
            """.write(toFile: folder.file("book.yaml"), atomically: false, encoding: .utf8)
        try """
            from-libvirt:
              - {uri: "qemu+unix:///system?socket=\(folder.path)/none-sock", domains: x, target: vm, timeout: 2s}
            """.write(toFile: folder.file("lab.yaml"), atomically: false, encoding: .utf8)
        let output = try await runProgram(try Executables.qmpbook, [
            "run", folder.file("book.yaml"), "--inventory", folder.file("lab.yaml"), "--report", folder.file("fleet.json"),
        ])
        #expect(output.status == 3)
        #expect(output.standardError.contains("lab.yaml:2:5: from-libvirt qemu+unix:///system?socket=\(folder.path)/none-sock: "), "\(output.standardError)")
    }
}
