import Playbook
import QMP

/// `fd:` with its path resolved against the playbook's folder.
struct FileDescriptorPlan: Sendable {
    var path: String
    var mode: FileDescriptorSpec.Mode
    var create: Bool
    var permissions: UInt32

    /// Opens the file with the engine's opener (the one `qmpbook exec --fd`
    /// uses: `write` truncates); the caller closes it.
    func open() -> Result<OpenedFile, SystemError> {
        OpenedFile.open(path: path, mode: mode.openedFileMode, create: create, permissions: permissions)
    }

    var json: JSONValue { ["path": .string(path), "mode": .string(mode.rawValue)] }
}

extension FileDescriptorSpec.Mode {
    /// The engine's mode of the same name.
    var openedFileMode: OpenedFile.Mode {
        switch self {
        case .read: return .read
        case .write: return .write
        case .readWrite: return .readWrite
        case .append: return .append
        }
    }
}
