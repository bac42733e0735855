import Libvirt
import Playbook
import QMP

extension LibvirtDiscovery {
    /// The running domains at `uri` (a `from-libvirt` entry's, resolved), sorted by name.
    /// - Throws: ``RunnerError`` (infrastructure) when libvirt cannot be reached or asked.
    public static func runningDomains(uri: String, timeout: Duration) async throws(RunnerError) -> [String] {
        do {
            return try await LibvirtDomains.running(at: LibvirtURI(uri), timeout: timeout)
        } catch {
            throw RunnerError(.infrastructure, error.description)
        }
    }
}
