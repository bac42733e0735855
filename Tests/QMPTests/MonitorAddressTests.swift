import Testing
@testable import QMP

@Suite struct MonitorAddressTests {
    @Test func parsesTheThreeForms() throws {
        #expect(try MonitorAddress(parsing: "unix:/tmp/a.sock") == .unix(path: "/tmp/a.sock"))
        #expect(try MonitorAddress(parsing: "/tmp/a.sock") == .unix(path: "/tmp/a.sock"))
        #expect(try MonitorAddress(parsing: "tcp:127.0.0.1:4444") == .tcp(host: "127.0.0.1", port: 4444))
        #expect(try MonitorAddress(parsing: "tcp:[::1]:4444") == .tcp(host: "::1", port: 4444))
    }

    @Test(arguments: ["", "unix:", "tcp:host", "tcp:host:0", "tcp:host:99999", "http:x"])
    func rejectsBadAddresses(_ text: String) {
        #expect(throws: MonitorAddressError.self) { try MonitorAddress(parsing: text) }
    }
}
