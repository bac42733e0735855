import Foundation
import QEMUTestSupport
import Testing
@testable import Libvirt
@testable import QMP

@Suite struct LibvirtHostsInCITests {
    @Test func ciAlwaysHasTheLibvirtHosts() {
        if LibvirtHosts.isCI { #expect(LibvirtHosts.available, "CI must start Tests/Libvirt/hosts.sh (see .ci/run)") }
    }
}
