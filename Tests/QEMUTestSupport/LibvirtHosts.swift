import Foundation

/// The two private libvirt daemons `Tests/Libvirt/hosts.sh` starts, as the
/// environment names them (`.ci/run` always starts them).
///
/// ```swift
/// @Test(.enabled(if: LibvirtHosts.available, LibvirtHosts.skipMessage))
/// func reachesTheDomain() async throws { let uri = LibvirtHosts.unix(1) … }
/// ```
public enum LibvirtHosts {
    /// Why libvirt tests were skipped, and how to run them.
    public static let skipMessage = """
        no libvirt hosts: run `Tests/Libvirt/hosts.sh start /tmp/h && eval "$(Tests/Libvirt/hosts.sh env /tmp/h)"` first
        """

    /// Whether both hosts' URIs are in the environment.
    public static var available: Bool {
        [unixURI(1), tcpURI(1), unixURI(2), tcpURI(2)].allSatisfy { $0 != nil }
    }

    /// Whether this is CI, where the hosts must be there.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// `qemu+unix:///system?socket=…` of host `number` (1 or 2).
    public static func unixURI(_ number: Int) -> String? { variable("QMPBOOK_LIBVIRT_HOST\(number)_UNIX") }

    /// `qemu+tcp://127.0.0.1:PORT/system` of host `number` (1 or 2).
    public static func tcpURI(_ number: Int) -> String? { variable("QMPBOOK_LIBVIRT_HOST\(number)_TCP") }

    /// `qemu+unix:…` of host 1 (call only when ``available``).
    public static var unix: String { unixURI(1) ?? "" }
    /// `qemu+tcp:…` of host 1 (call only when ``available``).
    public static var tcp: String { tcpURI(1) ?? "" }

    /// A domain name no other test uses.
    public static func uniqueName(_ purpose: String = "test") -> String {
        "qmpbook-\(purpose)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// The smallest domain QEMU runs with no disk (ACPI for hot-plug, no USB, no balloon).
    public static func domainXML(name: String) -> String {
        """
        <domain type='qemu'>
          <name>\(name)</name>
          <memory unit='MiB'>32</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <features><acpi/></features>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <controller type='usb' model='none'/>
            <memballoon model='none'/>
          </devices>
        </domain>
        """
    }

    private static func variable(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
