import QMP

/// One command passed through `virDomainQemuMonitorCommand` (or
/// `…WithFiles` with a descriptor), performed on a thread of ``BlockingThreads``.
struct PassthroughCall: Sendable {
    /// The command as JSON, without an `id`.
    let text: String
    /// A descriptor the call owns and closes when done, passed with the command.
    let descriptor: Int32?
    let command: String

    /// Sends the command and returns libvirt's reply text (a QMP error
    /// included), or libvirt's own failure as the engine's error.
    func perform(on domain: DomainReference) -> Result<String, QMPError> {
        let api = domain.runtime.api
        var result: UnsafeMutablePointer<CChar>?
        let status: Int32
        if var descriptor {
            defer { LibvirtMemory.close(descriptor) }
            var returnedCount: UInt32 = 0
            var returned: UnsafeMutablePointer<Int32>?
            status = api.qemuMonitorCommandWithFiles(domain.handle.pointer, text, 1, &descriptor, &returnedCount, &returned, &result, 0)
            LibvirtMemory.closeReturned(returned, count: returnedCount)
        } else {
            status = api.qemuMonitorCommand(domain.handle.pointer, text, &result, 0)
        }
        guard status == 0, let result else {
            let failure = LibvirtFailure.last(in: api, call: "virDomainQemuMonitorCommand")
            return .failure(failure.qmpError(command: command))
        }
        return .success(LibvirtMemory.takeString(result))
    }
}
