internal import CLibvirt
import QMP

/// An error libvirt reported for the last call on this thread
/// (`virGetLastError`), kept as its number and text.
struct LibvirtFailure: Error, Sendable {
    /// libvirt's error number (`virErrorNumber`).
    var number: Int32
    /// libvirt's message, e.g. `Domain not found: no domain with matching name 'web'`.
    var message: String

    /// The calling thread's last libvirt error; call it right after the call that failed.
    static func last(in api: LibvirtAPI, call: String) -> LibvirtFailure {
        guard let error = api.getLastError() else {
            return LibvirtFailure(number: -1, message: "\(call) failed without saying why")
        }
        let message = error.pointee.message.map { String(cString: $0) } ?? "\(call) failed without saying why"
        let failure = LibvirtFailure(number: error.pointee.code, message: message)
        api.resetLastError()
        return failure
    }

    /// Whether the error means the domain or the connection is gone.
    var meansLost: Bool {
        let lost: [virErrorNumber] = [
            VIR_ERR_NO_DOMAIN, VIR_ERR_OPERATION_INVALID, VIR_ERR_SYSTEM_ERROR, VIR_ERR_RPC,
            VIR_ERR_NO_CONNECT, VIR_ERR_INVALID_CONN, VIR_ERR_INVALID_DOMAIN, VIR_ERR_AUTH_CANCELLED,
        ]
        return lost.contains { Int32($0.rawValue) == number }
    }

    /// Whether libvirt gave up waiting itself (a domain job lock held too long).
    var isTimeout: Bool { number == Int32(VIR_ERR_OPERATION_TIMEOUT.rawValue) }

    /// The engine's error for a failed call: a lost target, a timeout, or a refusal.
    func qmpError(command: String?) -> QMPError {
        let text = "libvirt: \(message)"
        if meansLost { return QMPError(.connectionClosed, text, command: command) }
        if isTimeout { return QMPError(.timeout, text, command: command) }
        return QMPError(.unsupported, text, command: command)
    }
}
