import Foundation
import QEMUTestSupport
import QMP
import Testing

// The example of Docs/library.md, verbatim between the markers
// (DocsTests checks that the page shows exactly these lines).

// library-example:begin
import Foundation
import QMP

/// What the example saw: QEMU's version, its refusal of a duplicate id, the
/// removal event, and the run state at the end.
struct TabletRoundTrip {
    var version: QEMUVersion
    var refusal: QMPErrorReply?
    var removal: Event?
    var status: String?
}

/// Plugs a USB tablet into the QEMU listening on `socket`, tries to plug it
/// twice, unplugs it and waits for QEMU to confirm, passes a file descriptor,
/// and asks for the run state.
func tabletRoundTrip(socket: String) async throws -> TabletRoundTrip {
    let monitor = try await SocketMonitor.dial(.unix(path: socket), timeout: .seconds(5))
    // Subscribe before the handshake: every event from now on is kept for us.
    let events = monitor.events()
    let greeting = try await monitor.connect(timeout: .seconds(5))
    var seen = TabletRoundTrip(version: greeting.version)

    // `execute` returns the reply's `return` and throws a QMP error ...
    let tablet: JSONObject = ["driver": "usb-tablet", "id": "tablet0", "bus": "xhci.0"]
    try await monitor.execute("device_add", arguments: tablet)

    // ... `request` returns it as a value.
    if case .failure(let error) = try await monitor.request("device_add", arguments: tablet) {
        seen.refusal = error      // GenericError: Duplicate device ID 'tablet0'
    }

    try await monitor.execute("device_del", arguments: ["id": "tablet0"])
    while let event = try await events.next(timeout: .seconds(5)) {
        if event.name == "DEVICE_DELETED", event.data["device"] == "tablet0" {
            seen.removal = event
            break
        }
    }

    // Pass an open file with the command (SCM_RIGHTS); we still own it and close it.
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("qmp-example-\(getpid())")
    try Data().write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    let file = try FileHandle(forWritingTo: url)
    defer { try? file.close() }
    try await monitor.execute("getfd", arguments: ["fdname": "log"], passing: file.fileDescriptor)
    try await monitor.execute("closefd", arguments: ["fdname": "log"])

    seen.status = try await monitor.execute("query-status")["status"]?.stringValue
    events.cancel()
    await monitor.disconnect()
    return seen
}
// library-example:end

/// Runs the example of Docs/library.md against a real QEMU.
@Suite(.timeLimit(.minutes(1))) struct LibraryExampleTests {
    @Test func exampleHotplugsATabletAndReadsTheStatus() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let seen = try await tabletRoundTrip(socket: qemu.socketPath)
        #expect(seen.version.major >= 7)
        #expect(seen.refusal?.errorClass == "GenericError")
        #expect(seen.refusal?.description == "Duplicate device ID 'tablet0'")
        #expect(seen.removal?.name == "DEVICE_DELETED")
        #expect(seen.removal?.data["path"] == "/machine/peripheral/tablet0")
        #expect(seen.status == "prelaunch")
        #expect(qemu.isRunning, "the example only disconnects; QEMU keeps running")
    }
}
