import QMP

/// Reads a playbook file through the system layer, for exact reasons on failure.
enum PlaybookFile {
    /// At most `limit` bytes of the file at `path`; a larger file is reported
    /// by returning `limit + 1` bytes' worth (the caller refuses it).
    static func read(path: String, limit: Int) -> Result<[UInt8], Diagnostic> {
        let fd: Int32
        switch System.open(path, .readOnly) {
        case .success(let opened): fd = opened
        case .failure(let error): return .failure(failure(path, error.errno))
        }
        defer { System.close(fd) }
        switch System.fileKind(of: fd) {
        case .failure(let error): return .failure(failure(path, error.errno))
        case .success(.directory): return .failure(failure(path, .isDirectory))
        case .success: break
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            switch chunk.withUnsafeMutableBytes({ System.read(fd, into: $0) }) {
            case .failure(let error): return .failure(failure(path, error.errno))
            case .success(0): return .success(bytes)
            case .success(let count): bytes += chunk[..<count]
            }
        }
        return .success(bytes)
    }

    private static func failure(_ path: String, _ errno: Errno) -> Diagnostic {
        switch errno {
        case .noSuchFile: return Diagnostic("\(path): no such file", at: nil)
        case .permissionDenied: return Diagnostic("\(path): cannot be read: permission denied", at: nil)
        case .isDirectory: return Diagnostic("\(path): is a folder, not a playbook file", at: nil)
        default: return Diagnostic("\(path): cannot be read: \(errno)", at: nil)
        }
    }
}
