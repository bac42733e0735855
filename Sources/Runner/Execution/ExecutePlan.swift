import Playbook
import QMP
internal import Glibc

/// An `execute` (or `hmp`) step with every template resolved.
struct ExecutePlan: Sendable {
    var command: String
    var arguments: JSONObject?
    var fd: FileDescriptorPlan?
    var expectReturn: Pattern?
    var expectError: Pattern?
    var until: Pattern?
    var interval: Duration
    var redact: Bool
}

/// `fd:` with its path resolved against the playbook's folder.
struct FileDescriptorPlan: Sendable {
    var path: String
    var mode: FileDescriptorSpec.Mode
    var create: Bool
    var permissions: UInt32

    /// Opens the file; the caller closes the descriptor.
    func open() throws(SystemError) -> Int32 {
        var flags: Int32
        switch mode {
        case .read: flags = O_RDONLY
        case .write: flags = O_WRONLY
        case .readWrite: flags = O_RDWR
        case .append: flags = O_WRONLY | O_APPEND
        }
        if create { flags |= O_CREAT }
        return try System.open(path, flags: flags, permissions: permissions)
    }

    var json: JSONValue { ["path": .string(path), "mode": .string(mode.rawValue)] }
}
