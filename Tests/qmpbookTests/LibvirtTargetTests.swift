import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing

let libvirtHostsMissing = Comment(rawValue: LibvirtHosts.skipMessage)

/// `libvirt:` targets end to end, through the qmpbook binary, against the two
/// private hosts of `Tests/Libvirt/hosts.sh`. Each domain boot costs a second
/// or more under load, so few tests boot one, and each does several things.
@Suite(.serialized, .timeLimit(.minutes(5)), .enabled(if: LibvirtHosts.available, libvirtHostsMissing))
struct LibvirtTargetTests {
    /// Runs `virsh -c URI ARGUMENTS`.
    func virsh(_ uri: String, _ arguments: [String]) async throws -> ProgramOutput {
        try await runProgram(try Executables.find("virsh"), ["-c", uri] + arguments, timeout: .seconds(60))
    }

    /// Whether libvirt at `uri` knows a domain named `name` (transient ones are forgotten once destroyed).
    func domainExists(_ uri: String, _ name: String) async throws -> Bool {
        try await virsh(uri, ["domstate", name]).status == 0
    }

    /// `qmpbook ARGUMENTS` to completion.
    func qmpbook(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProgramOutput {
        try await runProgram(try Executables.qmpbook, arguments, environment: environment, timeout: .seconds(90))
    }

    /// The messages of a report's steps, by name.
    func message(_ report: JSONValue, _ name: String) -> String? {
        report.step(name)?["message"]?.stringValue
    }

    @Test func lifecycleStepsFdAndAQMPErrorOnATransientDomainOverUnix() async throws {
        let name = LibvirtHosts.uniqueName("unix")
        let fixture = try RunFixture("""
            name: libvirt over unix
            targets:
              lv:
                libvirt:
                  uri: "\(LibvirtHosts.unix)"
                  create: {xml: domain.xml, paused: true}
                timeout: 60s
              sock: {launch: \(RunFixture.qemu)}
            defaults: {target: lv, timeout: 30s}
            steps:
              - execute: query-status
                expect: {return: {status: prelaunch, running: false}}
              - execute: cont
              - wait-event: RESUME
              - execute: stop
              - name: STOP arrives
                wait-event: STOP
                match: {}
              - execute: query-status
                expect: {return: {status: paused}}
              - name: pass a file
                execute: getfd
                arguments: {fdname: passed}
                fd: {path: passed.txt, mode: write, create: true}
              - execute: closefd
                arguments: {fdname: passed}
              - name: error through libvirt
                execute: device_del
                arguments: {id: nothing-here}
                ignore-errors: true
              - name: error on a socket
                target: sock
                execute: device_del
                arguments: {id: nothing-here}
                ignore-errors: true
            """)
        try LibvirtHosts.domainXML(name: name).write(toFile: fixture.folder.file("domain.xml"), atomically: false, encoding: .utf8)
        let outcome = try await fixture.run(timeout: .seconds(120))
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed", "passed", "passed", "passed", "passed", "passed", "passed", "ignored", "ignored"])

        let target = try #require(outcome.report["targets"]?[0])
        #expect(target["mode"] == "libvirt")
        #expect(target["libvirt"]?["uri"]?.stringValue == LibvirtHosts.unix)
        #expect(target["libvirt"]?["domain"]?.stringValue == name)
        #expect(target["libvirt"]?["created"] == true)
        #expect(target["address"]?.stringValue == "libvirt:\(LibvirtHosts.unix)#\(name)")
        #expect(target["qemu"]?["major"] == 7)
        #expect(target["process"] == .null)
        #expect(outcome.report["targets"]?[1]?["libvirt"] == .null)

        // A QMP error reads the same through libvirt as on a socket.
        let throughLibvirt = try #require(message(outcome.report, "error through libvirt"))
        #expect(throughLibvirt.contains("DeviceNotFound"), "\(throughLibvirt)")
        #expect(throughLibvirt == message(outcome.report, "error on a socket"))

        // The taint is said once for the libvirt target, not for the socket one.
        let taintNotes = (outcome.standardOutput + outcome.standardError).components(separatedBy: "\n").filter { $0.contains("tainted: custom-monitor") }
        #expect(taintNotes.count == 1, "\(outcome.standardError)")
        #expect(taintNotes.first?.hasPrefix("lv: ") == true)
        // The transient domain was destroyed at the end.
        #expect(try await !domainExists(LibvirtHosts.unix, name))
    }

    @Test func lifecycleStepsOnATransientDomainOverTCPWithXMLFromAVariable() async throws {
        let name = LibvirtHosts.uniqueName("tcp")
        let xml = LibvirtHosts.domainXML(name: name).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        let fixture = try RunFixture("""
            name: libvirt over tcp
            vars:
              domain: |
            \(xml)
            targets:
              lv:
                libvirt:
                  uri: "${uri}"
                  create: {xml: "${domain}", paused: true}
                timeout: 60s
            defaults: {timeout: 30s}
            steps:
              - execute: query-status
                expect: {return: {status: prelaunch}}
              - execute: cont
              - wait-event: RESUME
              - execute: stop
              - wait-event: STOP
                match: {}
              - execute: query-status
                until: {status: paused}
                interval: 100ms
            """)
        let outcome = try await fixture.run(["--var", "uri=\(LibvirtHosts.tcp)"], timeout: .seconds(120))
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed", "passed", "passed", "passed", "passed"])
        #expect(outcome.report["targets"]?[0]?["libvirt"]?["uri"]?.stringValue == LibvirtHosts.tcp)
        #expect(outcome.report["targets"]?[0]?["libvirt"]?["created"] == true)
        #expect(outcome.report["events"]?.arrayValue?.map { $0["event"]?.stringValue ?? "" } == ["RESUME", "STOP"])
        #expect(try await !domainExists(LibvirtHosts.tcp, name))
    }

    @Test func checkRefusesWhatLibvirtCannotDoWithFileLineAndColumn() async throws {
        let fixture = try RunFixture("""
            name: refused
            targets:
              remote:
                libvirt: {uri: "\(LibvirtHosts.tcp)", domain: web-01}
                capabilities: [oob]
              local:
                libvirt: {uri: "\(LibvirtHosts.unix)", domain: web-01}
            steps:
              - target: remote
                execute: getfd
                arguments: {fdname: x}
                fd: {path: passed.txt}
              - target: local
                execute: getfd
                arguments: {fdname: x}
                fd: {path: passed.txt}
              - target: local
                execute: qmp_capabilities
            """)
        let output = try await qmpbook(["check", fixture.playbook])
        #expect(output.status == 2)
        let lines = output.standardError.split(separator: "\n").map(String.init)
        #expect(lines.contains("\(fixture.playbook):5:5: capabilities: libvirt targets take none: libvirt negotiates QMP with QEMU itself"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("\(fixture.playbook):12:5: fd: target 'remote' is reached over the remote libvirt URI \(LibvirtHosts.tcp): libvirt cannot pass a file descriptor over a network and closes the whole connection") }, "\(lines)")
        #expect(lines.contains("\(fixture.playbook):18:5: execute: qmp_capabilities is refused on libvirt target 'local': libvirt negotiates QMP with QEMU itself"), "\(lines)")
        // fd: on the local URI is fine: three problems, not four.
        #expect(lines.last == "qmpbook: 3 problems", "\(lines)")
    }

    @Test func aRunRefusesFdOverARemoteURIKnownOnlyAtRunTimeBeforeCreatingTheDomain() async throws {
        let name = LibvirtHosts.uniqueName("refused")
        let fixture = try RunFixture("""
            name: refused at run time
            targets:
              lv:
                libvirt: {uri: "${uri}", create: {xml: domain.xml}}
            steps:
              - execute: getfd
                arguments: {fdname: x}
                fd: {path: passed.txt, mode: write, create: true}
            """)
        try LibvirtHosts.domainXML(name: name).write(toFile: fixture.folder.file("domain.xml"), atomically: false, encoding: .utf8)
        let outcome = try await fixture.run(["--var", "uri=\(LibvirtHosts.tcp)"])
        #expect(outcome.status == 2, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["skipped"])
        #expect(outcome.report["message"]?.stringValue?.hasPrefix("\(fixture.playbook):8:5: fd: target 'lv' is reached over the remote libvirt URI") == true,
                "\(outcome.report["message"] ?? .null)")
        #expect(outcome.report["targets"]?[0]?["qemu"] == .null)
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.file("passed.txt")))
        #expect(try await !domainExists(LibvirtHosts.tcp, name))
    }

    /// One domain made with virsh serves `exec`, `events`, `--target NAME=libvirt:…`
    /// and, last, a run that loses it to `virsh destroy`.
    @Test func execEventsOverrideAndADomainDestroyedMidRun() async throws {
        let name = LibvirtHosts.uniqueName("existing")
        let folder = try TemporaryDirectory(prefix: "libvirt")
        let xmlPath = folder.file("domain.xml")
        try LibvirtHosts.domainXML(name: name).write(toFile: xmlPath, atomically: false, encoding: .utf8)
        let created = try await virsh(LibvirtHosts.unix, ["create", xmlPath, "--paused"])
        try #require(created.status == 0, "\(created.standardError)")
        defer { _ = try? runProgramBlocking("virsh", ["-c", LibvirtHosts.unix, "destroy", name]) }

        // exec over tcp (the domain is found on either URI of the host).
        let status = try await qmpbook(["exec", "libvirt:\(LibvirtHosts.tcp)#\(name)", "query-status"])
        #expect(status.status == 0, "\(status.standardError)")
        #expect(try JSONValue(parsing: status.standardOutput)["return"]?["status"] == "prelaunch")
        // A QMP error is exit 1, as on a socket; --fd over tcp is refused before connecting (exit 2).
        let error = try await qmpbook(["exec", "libvirt:\(LibvirtHosts.unix)#\(name)", "device_del", #"{"id": "nothing-here"}"#])
        #expect(error.status == 1)
        #expect(error.standardError.contains("DeviceNotFound"), "\(error.standardError)")
        let fd = try await qmpbook(["exec", "libvirt:\(LibvirtHosts.tcp)#\(name)", "getfd", #"{"fdname": "x"}"#, "--fd", folder.file("f")])
        #expect(fd.status == 2)
        #expect(fd.standardError.contains("--fd: libvirt cannot pass a file descriptor over the remote URI"), "\(fd.standardError)")

        // events sees RESUME when exec continues the domain (stop and cont again
        // until it has: nothing tells from outside when it has subscribed).
        let events = try RunningProgram(
            try Executables.qmpbook,
            ["events", "libvirt:\(LibvirtHosts.unix)#\(name)", "--event", "RESUME", "--match", "{}", "--count", "1", "--timeout", "60s"])
        for _ in 0..<40 where !events.standardOutput.contains("RESUME") {
            #expect(try await qmpbook(["exec", "libvirt:\(LibvirtHosts.unix)#\(name)", "stop"]).status == 0)
            let cont = try await qmpbook(["exec", "libvirt:\(LibvirtHosts.unix)#\(name)", "cont"])
            #expect(cont.status == 0, "\(cont.standardError)")
        }
        let printed = await events.wait()
        #expect(printed.status == 0, "\(printed.standardError)")
        #expect(try JSONValue(parsing: printed.standardOutput)["event"] == "RESUME")

        // --target replaces a socket target with the domain (found, not created).
        let fixture = try RunFixture("""
            name: override
            targets:
              vm: {connect: unix:/nonexistent/qmp.sock}
            steps:
              - execute: query-status
                expect: {return: {status: running}}
              - name: wait for an event that never comes
                wait-event: BLOCK_JOB_COMPLETED
                timeout: 60s
            """)
        let address = "libvirt:\(LibvirtHosts.unix)#\(name)"
        let background = try BackgroundRun(fixture, ["--target", "vm=\(address)"])
        try await background.waitForStep(1, timeout: .seconds(60))
        let destroyed = try await virsh(LibvirtHosts.unix, ["destroy", name])
        #expect(destroyed.status == 0, "\(destroyed.standardError)")
        let exit = await background.waitForExit(timeout: .seconds(60))
        #expect(exit == 3)
        let report = try fixture.readReport()
        #expect(report.statuses == ["passed", "error"])
        let target = try #require(report["targets"]?[0])
        #expect(target["mode"] == "libvirt")
        #expect(target["libvirt"]?["created"] == false)
        #expect(target["libvirt"]?["domain"]?.stringValue == name)
        let why = report["steps"]?[1]?["message"]?.stringValue ?? ""
        #expect(why.contains("target vm was lost") && why.contains("domain '\(name)' stopped (destroyed)"), "\(why)")
        #expect(report["exit_code"] == 3)
    }

    /// A daemon of its own (hosts.sh in a scratch folder), so killing it
    /// disturbs no other test; its QEMU is left to `hosts.sh stop`.
    @Test func aDaemonKilledMidRunIsALostTarget() async throws {
        let folder = try TemporaryDirectory(prefix: "hosts")
        let script = Repository.path("Tests/Libvirt/hosts.sh")
        // system(3), not Process: the script's daemons outlive it, and Foundation did not see the script exit.
        let start = "bash '\(script)' start '\(folder.path)' >'\(folder.file("start.log"))' 2>&1"
        let started = await onOwnThread { system(start) }
        try #require(started == 0, "\((try? String(contentsOfFile: folder.file("start.log"), encoding: .utf8)) ?? "")")
        let domain = LibvirtHosts.uniqueName("killed")
        defer {
            _ = system("bash '\(script)' stop '\(folder.path)' >/dev/null 2>&1")
            // The killed daemon's QEMU is no longer reachable through libvirt, and the
            // script's sweep does not find it: end it by its unique name, so no QEMU outlives the test.
            _ = system("pkill -KILL -f 'guest=\(domain),' >/dev/null 2>&1")
            withExtendedLifetime(folder) {}
        }
        let uri = "qemu+unix:///system?socket=\(folder.file("host1/run/libvirt-sock"))"
        let fixture = try RunFixture("""
            name: daemon killed
            targets:
              lv:
                libvirt: {uri: "\(uri)", create: {xml: domain.xml, paused: true}}
                timeout: 60s
            steps:
              - name: wait for an event that never comes
                wait-event: BLOCK_JOB_COMPLETED
                timeout: 60s
            """)
        try LibvirtHosts.domainXML(name: domain).write(
            toFile: fixture.folder.file("domain.xml"), atomically: false, encoding: .utf8)
        let background = try BackgroundRun(fixture, [])
        try await background.waitForStep(0, timeout: .seconds(60))
        let daemon = try #require(Int32(try String(contentsOfFile: folder.file("host1/libvirtd.pid"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(daemon, SIGKILL) == 0)
        let exit = await background.waitForExit(timeout: .seconds(60))
        #expect(exit == 3)
        let report = try fixture.readReport()
        #expect(report.statuses == ["error"])
        let why = report["steps"]?[0]?["message"]?.stringValue ?? ""
        #expect(why.contains("target lv was lost") && why.contains("the libvirt connection to \(uri) closed"), "\(why)")
    }

    @Test func aURIThatDoesNotAnswerIsBoundedByTheTargetTimeout() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let fixture = try RunFixture("""
            name: silent libvirt
            targets:
              lv:
                libvirt: {uri: "qemu+tcp://127.0.0.1:\(listener.port)/system", domain: web-01}
                timeout: 2s
            steps:
              - execute: query-status
            """)
        let started = ContinuousClock.now
        let outcome = try await fixture.run(timeout: .seconds(60))
        let took = ContinuousClock.now - started
        #expect(outcome.status == 3)
        #expect(took < .seconds(15), "took \(took)")
        #expect(outcome.report.statuses == ["skipped"])
        let error = outcome.report["targets"]?[0]?["error"]?.stringValue ?? ""
        #expect(error == "libvirt at qemu+tcp://127.0.0.1:\(listener.port)/system did not answer within 2s", "\(error)")
    }
}

/// Runs a program from PATH to completion on the calling thread (for `defer`).
func runProgramBlocking(_ name: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try Executables.find(name))
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// A TCP port that accepts connections (the kernel completes them) but never
/// says anything: a libvirt daemon that hangs.
final class SilentListener: Sendable {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic -> Bool in
                bind(descriptor, generic, length) == 0 && listen(descriptor, 8) == 0
                    && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else {
            _ = Glibc.close(descriptor)
            throw BackgroundRunFailure(message: "could not listen: errno \(errno)")
        }
        self.descriptor = descriptor
        port = UInt16(bigEndian: address.sin_port)
    }

    func close() { _ = Glibc.close(descriptor) }
}
