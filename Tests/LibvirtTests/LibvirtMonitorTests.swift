import Foundation
import QEMUTestSupport
import Testing
@testable import Libvirt
@testable import QMP

let hostsMissing = Comment(rawValue: LibvirtHosts.skipMessage)

/// The libvirt engine against the two private hosts of `Tests/Libvirt/hosts.sh`,
/// each test on a transient domain of its own.
@Suite(.timeLimit(.minutes(2)), .enabled(if: LibvirtHosts.available, hostsMissing))
struct LibvirtMonitorTests {
    /// A transient paused domain on `uri`, with its monitor handshaken.
    func openDomain(_ uri: String, name: String = LibvirtHosts.uniqueName()) async throws -> LibvirtMonitor {
        let monitor = try await LibvirtMonitor.open(
            uri: LibvirtURI(uri), domain: .create(xml: LibvirtHosts.domainXML(name: name), paused: true),
            timeout: .seconds(30))
        _ = try await monitor.connect(timeout: .seconds(10))
        return monitor
    }

    /// Runs `body` on a transient domain that is destroyed afterwards, whatever `body` did.
    func withDomain(
        _ uri: String, name: String = LibvirtHosts.uniqueName(), _ body: (LibvirtMonitor) async throws -> Void
    ) async throws {
        let monitor = try await openDomain(uri, name: name)
        do {
            try await body(monitor)
        } catch {
            await monitor.disconnect()
            throw error
        }
        await monitor.disconnect()
    }

    @Test(arguments: [LibvirtHosts.unix, LibvirtHosts.tcp])
    func passesQueryStatusThroughAndReadsQEMUsVersion(uri: String) async throws {
        let monitor = try await openDomain(uri)
        #expect(monitor.greeting?.version.major == 7)
        #expect(monitor.greeting?.capabilities == [])
        #expect(monitor.createdDomain)
        let status = try await monitor.execute("query-status")
        #expect(status["status"] == "prelaunch")
        await monitor.disconnect()
        #expect(monitor.closeReason?.code == .connectionClosed)
    }

    @Test func aQMPErrorIsAFailureReplyLikeOnASocket() async throws {
        try await withDomain(LibvirtHosts.unix) { monitor in
            let reply = try await monitor.request("device_del", arguments: ["id": "nothing-here"])
            guard case .failure(let error) = reply else {
                Issue.record("expected an error reply, got \(reply)")
                return
            }
            #expect(error.errorClass == "DeviceNotFound")
            #expect(error.description.contains("nothing-here"))
            let thrown = await #expect(throws: QMPError.self) { try await monitor.execute("no-such-command") }
            #expect(thrown?.code == .commandFailed)
            #expect(thrown?.reply?.errorClass == "CommandNotFound")
        }
    }

    @Test func runStripsTheCallersIDAndPutsItBack() async throws {
        try await withDomain(LibvirtHosts.unix) { monitor in
            let reply = try await monitor.run(Array(#"{"execute": "query-status", "id": "mine-7"}"#.utf8))
            let parsed = try JSONValue(parsing: reply)
            #expect(parsed["id"] == "mine-7")
            #expect(parsed["return"]?["status"] == "prelaunch")
            let bare = try JSONValue(parsing: try await monitor.run(Array(#"{"execute": "query-status"}"#.utf8)))
            #expect(bare["id"] == nil)
        }
    }

    @Test func eventsArriveThroughLibvirtsQEMUMonitorStream() async throws {
        try await withDomain(LibvirtHosts.unix) { monitor in
            let events = monitor.events()
            try await monitor.execute("cont")
            let resumed = try await events.next(timeout: .seconds(10))
            #expect(resumed?.name == "RESUME")
            #expect((resumed?.timestamp.seconds ?? 0) > 0)
            try await monitor.execute("stop")
            let stopped = try await events.next(timeout: .seconds(10))
            #expect(stopped?.name == "STOP")
        }
    }

    @Test func passesADescriptorWithGetfdOverUnix() async throws {
        let directory = try TemporaryDirectory(prefix: "libvirt-fd")
        defer { directory.remove() }
        try await withDomain(LibvirtHosts.unix) { monitor in
            let file = try OpenedFile(path: directory.file("passed.log"), mode: .write, create: true)
            defer { file.close() }
            try await monitor.execute("getfd", arguments: ["fdname": "passed"], passing: file.descriptor)
            // QEMU knows the name now: closing it succeeds, closing an unknown one fails.
            try await monitor.execute("closefd", arguments: ["fdname": "passed"])
            let unknown = try await monitor.request("closefd", arguments: ["fdname": "passed"])
            #expect(unknown.json["error"] != nil)
        }
    }

    @Test func refusesADescriptorOverTCPWithoutDroppingTheConnection() async throws {
        try await withDomain(LibvirtHosts.tcp) { monitor in
            let error = await #expect(throws: QMPError.self) {
                try await monitor.execute("getfd", arguments: ["fdname": "x"], passing: 0)
            }
            #expect(error?.code == .unsupported)
            #expect(error?.message.contains("remote connection") == true)
            let status = try await monitor.execute("query-status")
            #expect(status["status"] == "prelaunch")
        }
    }

    @Test func aDestroyedDomainClosesTheMonitorSayingWhy() async throws {
        let name = LibvirtHosts.uniqueName("destroyed")
        let monitor = try await openDomain(LibvirtHosts.unix, name: name)
        let other = try await LibvirtMonitor.open(uri: LibvirtURI(LibvirtHosts.unix), domain: .existing(name), timeout: .seconds(10))
        let events = monitor.events()
        _ = try await runProgram("/usr/bin/virsh", ["-q", "-c", LibvirtHosts.unix, "destroy", name])
        while try await events.next(timeout: .seconds(10)) != nil {}
        #expect(monitor.closeReason?.code == .peerExited)
        #expect(monitor.closeReason?.message.contains("'\(name)' stopped (destroyed)") == true)
        let late = await #expect(throws: QMPError.self) { try await monitor.execute("query-status") }
        #expect(late?.code == .peerExited)
        await monitor.disconnect()
        await other.disconnect()
    }

    @Test func findsARunningDomainByNameAndByUUIDAndSharesTheConnection() async throws {
        let name = LibvirtHosts.uniqueName("lookup")
        let owner = try await openDomain(LibvirtHosts.unix, name: name)
        let byName = try await LibvirtMonitor.open(uri: LibvirtURI(LibvirtHosts.unix), domain: .existing(name), timeout: .seconds(10))
        let byUUID = try await LibvirtMonitor.open(uri: LibvirtURI(LibvirtHosts.unix), domain: .existing(owner.domainUUID), timeout: .seconds(10))
        #expect(byName.domainName == name)
        #expect(byUUID.domainName == name)
        #expect(!byName.createdDomain)
        _ = try await byUUID.connect(timeout: .seconds(10))
        #expect(try await byUUID.execute("query-status")["status"] == "prelaunch")
        await byName.disconnect()
        await byUUID.disconnect()
        // Closing a looked-up target leaves the domain running for its owner.
        #expect(try await owner.execute("query-status")["status"] == "prelaunch")
        await owner.disconnect()
        let gone = await #expect(throws: QMPError.self) {
            try await LibvirtMonitor.open(uri: LibvirtURI(LibvirtHosts.unix), domain: .existing(name), timeout: .seconds(10))
        }
        #expect(gone?.code == .connectFailed)
        #expect(gone?.message.contains("has no domain '\(name)'") == true)
    }

    @Test func aURIThatDoesNotAnswerIsBoundedByTheTimeout() async throws {
        // A TCP port that accepts, reads, and never answers: libvirt alone would wait forever.
        let peer = try ScriptedPeer(tcp: true) { connection in
            while connection.readLine() != nil {}
        }
        defer { peer.stop() }
        guard case .tcp(_, let port) = peer.address else { return }
        let started = ContinuousClock.now
        let error = await #expect(throws: QMPError.self) {
            try await LibvirtMonitor.open(uri: LibvirtURI("qemu+tcp://127.0.0.1:\(port)/system"), domain: .existing("x"), timeout: .milliseconds(500))
        }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("did not answer within 500ms") == true)
        // Not a speed test: only that the deadline, not the peer, ended it (the peer never does).
        #expect(ContinuousClock.now - started < .seconds(60))
        peer.stop()   // libvirt may keep its half-open connection
        try await peer.finish()
    }
}
