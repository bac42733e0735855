internal import Glibc
import Synchronization

extension System {
    /// Ports ``freeTCPPort()`` handed out in this process, so no caller gets one twice.
    private static let handedOutPorts = Mutex<Set<UInt16>>([])

    /// A TCP port on 127.0.0.1 that was free a moment ago and that this
    /// process has not handed out before: bind port 0, read the port the
    /// kernel chose (getsockname), close. Another process may still take it
    /// before the caller uses it; that is the nature of a free port.
    package static func freeTCPPort() -> Result<UInt16, SystemError> {
        var lastError = SystemError("bind", .addressInUse)
        for _ in 0..<64 {
            switch boundLoopbackPort() {
            case .success(let port):
                let isNew = handedOutPorts.withLock { $0.insert(port).inserted }
                if isNew { return .success(port) }
            case .failure(let error):
                lastError = error
            }
        }
        return .failure(lastError)
    }

    private static func boundLoopbackPort() -> Result<UInt16, SystemError> {
        let descriptor: Int32
        switch socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) {
        case .success(let fd): descriptor = fd
        case .failure(let error): return .failure(error)
        }
        defer { _ = close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        if case .failure(let error) = bound { return .failure(error) }
        var chosen = sockaddr_in()
        var chosenLength = length
        let named = withUnsafeMutablePointer(to: &chosen) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                valueOrErrno("getsockname") { Glibc.getsockname(descriptor, raw, &chosenLength) }
            }
        }
        if case .failure(let error) = named { return .failure(error) }
        return .success(UInt16(bigEndian: chosen.sin_port))
    }
}
