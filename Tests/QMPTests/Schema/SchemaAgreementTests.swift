import Foundation
import QEMUTestSupport
import QMP
import Testing

/// The validator against the QEMU installed here: for each call, the validator
/// finds a problem exactly when QEMU rejects the call for its shape (unknown
/// command or argument, missing argument, wrong type, invalid enum value), and
/// finds none when QEMU accepts it or fails it for another reason (a missing
/// file, an unknown device property).
@Suite(.serialized) struct SchemaAgreementTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var command: String
        var arguments: JSONObject?
        var testDescription: String { "\(command) \(arguments.map { JSONValue.object($0).jsonText } ?? "")" }
        init(_ command: String, _ arguments: JSONObject? = nil) {
            self.command = command
            self.arguments = arguments
        }
    }

    static let cases: [Case] = [
        Case("query-status"),
        Case("query-status", ["verbose": true]),
        Case("query-stauts"),
        Case("device_add", ["driver": "usb-tablet", "id": "agree0", "bus": "xhci.0"]),
        Case("device_add", ["driver": "usb-tablet", "id": "agree1", "bogus": 1]),
        Case("device_add", ["driver": "usb-tablet", "id": 5]),
        Case("device_add", ["id": "agree2"]),
        Case("device_del", ["id": "agree0"]),
        Case("device_del", [:]),
        Case("getfd", ["fdnam": "x"]),
        Case("add-fd", ["fdset-id": "one"]),
        Case("add-fd", ["fdset-id": 2.5]),
        Case("add-fd", ["opaque": nil]),
        Case("migrate-set-capabilities", ["capabilities": [["capability": "xbzrle", "state": true]]]),
        Case("migrate-set-capabilities", ["capabilities": [["capability": "xbzrel", "state": true]]]),
        Case("migrate-set-capabilities", ["capabilities": [["capability": "events", "state": "yes"]]]),
        Case("migrate-set-parameters", ["max-bandwidth": 1_000_000, "tls-creds": nil]),
        Case("blockdev-add", ["driver": "qcow2", "node-name": "agree-q", "file": ["driver": "file", "filename": "/nonexistent/agree.qcow2"]]),
        Case("blockdev-add", ["driver": "qcow2", "node-name": "agree-q", "file": ["driver": "file"]]),
        Case("blockdev-add", ["driver": "qcow2", "node-name": "agree-q", "file": ["driver": "file", "filname": "/x"]]),
        Case("blockdev-add", ["driver": "qcow3", "node-name": "agree-q", "file": "base"]),
        Case("blockdev-add", ["driver": "raw", "node-name": "agree-r", "file": 5]),
        Case("blockdev-add", ["driver": "null-co", "node-name": "agree-n", "size": 4096, "read-only": "on"]),
        Case("blockdev-add", ["driver": "null-co", "node-name": "agree-n2", "size": 4096]),
        Case("object-add", ["qom-type": "memory-backend-ram", "id": "agree-mem", "size": 1_048_576]),
        Case("object-add", ["qom-type": "memory-backend-ram", "id": "agree-mem2", "sise": 1_048_576]),
        Case("netdev_add", ["type": "user", "id": "agree-net"]),
        Case("netdev_add", ["type": "usr", "id": "agree-net2"]),
        Case("qom-set", ["path": "/machine", "property": "no-such-property", "value": [1, 2]]),
        Case("human-monitor-command", ["command-line": "info status", "cpu-index": "0"]),
    ]

    @Test(.timeLimit(.minutes(1)))
    func validatorAgreesWithQEMU() async throws {
        let schema = try SchemaFixture.load()
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let monitor = try await qemu.connectMonitor()
        var rejections = 0
        var namedParameters = 0
        for item in Self.cases {
            let reply = try await monitor.request(item.command, arguments: item.arguments).json
            let rejected = Self.isShapeRejection(reply)
            if rejected { rejections += 1 }
            let problems = schema.validate(command: item.command, arguments: item.arguments)
            #expect(rejected == !problems.isEmpty,
                    "\(item.testDescription): QEMU said \(reply.jsonText), validator said \(problems.map(\.description))")
            // Where QEMU names the parameter, one of the problems is about the same member.
            if rejected, let named = Self.parameterName(in: reply) {
                namedParameters += 1
                let members = problems.compactMap { problem -> String? in
                    guard case .member(let name)? = problem.path.components.last else { return nil }
                    return name
                }
                #expect(members.contains(named), "\(item.testDescription): QEMU named '\(named)', validator said \(problems.map(\.description))")
            }
        }
        // Both outcomes occur, so the comparison is not vacuous.
        #expect(rejections == 18)
        #expect(namedParameters >= 12)
    }

    /// The last member name of the parameter QEMU's error quotes first (`'file.filename'` → `filename`).
    static func parameterName(in reply: JSONValue) -> String? {
        guard let text = reply["error"]?["desc"]?.stringValue,
              text.hasPrefix("Parameter '") || text.hasPrefix("Invalid parameter type for '"),
              let open = text.firstIndex(of: "'")
        else { return nil }
        let rest = text[text.index(after: open)...]
        guard let close = rest.firstIndex(of: "'") else { return nil }
        let dotted = rest[..<close]
        let last = dotted.split(separator: ".").last.map(String.init) ?? String(dotted)
        return last.split(separator: "[").first.map(String.init) ?? last
    }

    /// True for the errors QEMU's QMP dispatcher and input visitor give for a call of the wrong shape.
    static func isShapeRejection(_ reply: JSONValue) -> Bool {
        guard let error = reply["error"] else { return false }
        if error["class"]?.stringValue == "CommandNotFound" { return true }
        let text = error["desc"]?.stringValue ?? ""
        return ["Invalid parameter type", "is missing", "is unexpected", "does not accept value", "must be an object"]
            .contains { text.contains($0) }
    }
}
