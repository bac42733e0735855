internal import Glibc

/// Reads a playbook file with plain POSIX calls, for exact reasons on failure.
enum PlaybookFile {
    /// At most `limit` bytes of the file at `path`; a larger file is reported
    /// by returning `limit + 1` bytes' worth (the caller refuses it).
    static func read(path: String, limit: Int) -> Result<[UInt8], Diagnostic> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(failure(path, errno)) }
        defer { _ = close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return .failure(failure(path, errno)) }
        if status.st_mode & S_IFMT == S_IFDIR {
            return .failure(Diagnostic("\(path): is a folder, not a playbook file", at: nil))
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(failure(path, errno))
            }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return .success(bytes)
    }

    private static func failure(_ path: String, _ code: Int32) -> Diagnostic {
        switch code {
        case ENOENT: return Diagnostic("\(path): no such file", at: nil)
        case EACCES: return Diagnostic("\(path): cannot be read: permission denied", at: nil)
        case EISDIR: return Diagnostic("\(path): is a folder, not a playbook file", at: nil)
        default: return Diagnostic("\(path): cannot be read: \(String(cString: strerror(code)))", at: nil)
        }
    }
}
