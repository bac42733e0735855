internal import Glibc

/// Opening a connected socket: dialing out, or accepting one connection.
///
/// These calls block (with a deadline), so they run on a dedicated thread,
/// never on the cooperative pool; ``dialOffThePool(_:timeout:)`` is the one
/// to call from a task. Every descriptor opened here is either
/// returned or closed.
enum SocketOpening {
    /// Connects to `address` within `timeout`; no retries.
    static func dial(_ address: MonitorAddress, timeout: Duration) -> Result<SocketConnection, QMPError> {
        let deadline = ContinuousClock.now + timeout
        switch address {
        case .unix(let path):
            return withUnixAddress(path) { pointer, length -> Result<SocketConnection, QMPError> in
                connect(family: AF_UNIX, pointer, length, deadline: deadline, address: address)
                    .map { SocketConnection(descriptor: $0, isUnix: true) }
            }
        case .tcp(let host, let port):
            return withTCPAddresses(host: host, port: port, passive: false, address: address) { candidates in
                var lastError = QMPError(.connectFailed, "cannot connect to \(address): no address for \(host)")
                for candidate in candidates {
                    switch connect(family: candidate.family, candidate.pointer, candidate.length, deadline: deadline, address: address) {
                    case .success(let fd):
                        _ = System.setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
                        return .success(SocketConnection(descriptor: fd, isUnix: false))
                    case .failure(let error):
                        lastError = error
                        if error.code == .timeout { return .failure(error) }
                    }
                }
                return .failure(lastError)
            }
        }
    }

    /// Connects to `address` within `timeout` without blocking a thread of
    /// the cooperative pool: a unix socket's non-blocking connect is tried on
    /// the caller's thread, since it connects or fails at once unless the
    /// listener's backlog is full. Waiting for that, and every TCP dial (a
    /// name lookup, a handshake), runs on a thread of its own; so the common
    /// case starts no thread for a connect that never blocks.
    static func dialOffThePool(_ address: MonitorAddress, timeout: Duration) async -> Result<SocketConnection, QMPError> {
        if let result = dialAtOnce(address) { return result }
        return await onDedicatedThread { dial(address, timeout: timeout) }
    }

    /// A unix socket connected or refused without waiting; nil when the
    /// connect has to be waited for, and for TCP.
    private static func dialAtOnce(_ address: MonitorAddress) -> Result<SocketConnection, QMPError>? {
        guard case .unix(let path) = address else { return nil }
        let started = withUnixAddress(path) { pointer, length in
            startConnecting(family: AF_UNIX, pointer, length, address: address)
        }
        switch started {
        case .success(.connected(let fd)):
            return .success(SocketConnection(descriptor: fd, isUnix: true))
        case .success(.pending(let fd)):
            _ = System.close(fd)
            return nil
        case .failure(let error):
            return .failure(error)
        }
    }

    /// Listens on `address`, accepts exactly one connection within `timeout`,
    /// then closes the listening socket (and removes a unix socket file it made).
    static func acceptOne(on address: MonitorAddress, timeout: Duration) -> Result<SocketConnection, QMPError> {
        let deadline = ContinuousClock.now + timeout
        switch address {
        case .unix(let path):
            return withUnixAddress(path) { pointer, length -> Result<SocketConnection, QMPError> in
                var result = listen(family: AF_UNIX, pointer, length, address: address)
                if case .failure(let error) = result, error.errno == .addressInUse, isStaleSocket(pointer, length, path: path) {
                    _ = System.unlink(path)
                    result = listen(family: AF_UNIX, pointer, length, address: address)
                }
                let listener: Int32
                switch result {
                case .success(let descriptor): listener = descriptor
                case .failure(let error): return .failure(error)
                }
                defer {
                    _ = System.close(listener)
                    _ = System.unlink(path)
                }
                return accept(listener, deadline: deadline, address: address)
                    .map { SocketConnection(descriptor: $0, isUnix: true) }
            }
        case .tcp(let host, let port):
            return withTCPAddresses(host: host, port: port, passive: true, address: address) { candidates in
                guard let candidate = candidates.first else {
                    return .failure(QMPError(.connectFailed, "cannot listen on \(address): no address for \(host)"))
                }
                switch listen(family: candidate.family, candidate.pointer, candidate.length, address: address) {
                case .failure(let error):
                    return .failure(error)
                case .success(let listener):
                    defer { _ = System.close(listener) }
                    return accept(listener, deadline: deadline, address: address).map { fd in
                        _ = System.setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
                        return SocketConnection(descriptor: fd, isUnix: false)
                    }
                }
            }
        }
    }

    // MARK: - Steps

    private static func connect(
        family: Int32, _ pointer: UnsafePointer<sockaddr>, _ length: socklen_t,
        deadline: ContinuousClock.Instant, address: MonitorAddress
    ) -> Result<Int32, QMPError> {
        startConnecting(family: family, pointer, length, address: address).flatMap { started in
            switch started {
            case .connected(let fd): return .success(fd)
            case .pending(let fd) where family == AF_UNIX:
                return waitForBacklog(fd, pointer, length, deadline: deadline, address: address)
            case .pending(let fd):
                return finishConnecting(fd, deadline: deadline, address: address)
            }
        }
    }

    private enum Started {
        /// Connected, in blocking mode.
        case connected(Int32)
        /// Still connecting, in non-blocking mode.
        case pending(Int32)
    }

    /// A socket and a non-blocking connect, which either connects, fails, or
    /// has to be waited for.
    private static func startConnecting(
        family: Int32, _ pointer: UnsafePointer<sockaddr>, _ length: socklen_t, address: MonitorAddress
    ) -> Result<Started, QMPError> {
        let fd: Int32
        switch System.socket(family, Int32(SOCK_STREAM.rawValue), 0).mapError(\.errno) {
        case .success(let value): fd = value
        case .failure(let errno): return .failure(QMPError(.connectFailed, "cannot connect to \(address): \(errno)", errno: errno))
        }
        _ = System.setNonBlocking(fd, true)
        switch System.connect(fd, pointer, length).mapError(\.errno) {
        case .success:
            _ = System.setNonBlocking(fd, false)
            return .success(.connected(fd))
        case .failure(let errno) where errno == .inProgress || errno == .wouldBlock:
            return .success(.pending(fd))
        case .failure(let errno):
            _ = System.close(fd)
            return .failure(QMPError(.connectFailed, "cannot connect to \(address): \(errno)", errno: errno))
        }
    }

    /// A unix socket whose listener's backlog was full: its non-blocking
    /// connect did not start (EAGAIN), so there is nothing to poll for.
    /// Connects again, blocking, with the time left as SO_SNDTIMEO, which
    /// bounds how long a unix connect waits for room in the backlog.
    /// Closes `fd` when it fails.
    private static func waitForBacklog(
        _ fd: Int32, _ pointer: UnsafePointer<sockaddr>, _ length: socklen_t,
        deadline: ContinuousClock.Instant, address: MonitorAddress
    ) -> Result<Int32, QMPError> {
        _ = System.setNonBlocking(fd, false)
        while true {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { break }
            _ = System.setSendTimeout(fd, remaining)
            switch System.connect(fd, pointer, length).mapError(\.errno) {
            case .success:
                _ = System.setSendTimeout(fd, .zero)
                return .success(fd)
            case .failure(let errno) where errno == .wouldBlock || errno == .inProgress:
                continue
            case .failure(let errno):
                _ = System.close(fd)
                return .failure(QMPError(.connectFailed, "cannot connect to \(address): \(errno)", errno: errno))
            }
        }
        _ = System.close(fd)
        return .failure(QMPError(.timeout, "connecting to \(address) timed out: its listener's backlog stayed full"))
    }

    /// Waits until the deadline for a pending connect; closes `fd` when it fails.
    private static func finishConnecting(_ fd: Int32, deadline: ContinuousClock.Instant, address: MonitorAddress) -> Result<Int32, QMPError> {
        func fail(_ error: QMPError) -> Result<Int32, QMPError> {
            _ = System.close(fd)
            return .failure(error)
        }
        switch waitFor(fd, events: System.writable, deadline: deadline) {
        case .failure(let errno):
            return fail(QMPError(.connectFailed, "cannot connect to \(address): \(errno)", errno: errno))
        case .success(false):
            return fail(QMPError(.timeout, "connecting to \(address) timed out"))
        case .success(true):
            let pending = (try? System.getsockopt(fd, SOL_SOCKET, SO_ERROR).get()) ?? EIO
            if pending != 0 {
                let errno = Errno(rawValue: pending)
                return fail(QMPError(.connectFailed, "cannot connect to \(address): \(errno)", errno: errno))
            }
        }
        _ = System.setNonBlocking(fd, false)
        return .success(fd)
    }

    private static func listen(
        family: Int32, _ pointer: UnsafePointer<sockaddr>, _ length: socklen_t, address: MonitorAddress
    ) -> Result<Int32, QMPError> {
        let fd: Int32
        switch System.socket(family, Int32(SOCK_STREAM.rawValue), 0).mapError(\.errno) {
        case .success(let value): fd = value
        case .failure(let errno): return .failure(QMPError(.connectFailed, "cannot listen on \(address): \(errno)", errno: errno))
        }
        if family != AF_UNIX { _ = System.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) }
        let result = System.bind(fd, pointer, length).flatMap { _ in System.listen(fd, 1) }.mapError(\.errno)
        if case .failure(let errno) = result {
            _ = System.close(fd)
            return .failure(QMPError(.connectFailed, "cannot listen on \(address): \(errno)", errno: errno))
        }
        return .success(fd)
    }

    private static func accept(_ listener: Int32, deadline: ContinuousClock.Instant, address: MonitorAddress) -> Result<Int32, QMPError> {
        switch waitFor(listener, events: System.readable, deadline: deadline) {
        case .failure(let errno):
            return .failure(QMPError(.connectFailed, "cannot accept on \(address): \(errno)", errno: errno))
        case .success(false):
            return .failure(QMPError(.timeout, "no connection to \(address) arrived in time"))
        case .success(true):
            return System.accept(listener).mapError(\.errno).mapError { errno in
                QMPError(.connectFailed, "cannot accept on \(address): \(errno)", errno: errno)
            }
        }
    }

    /// Polls until `events` or the deadline; false when the deadline passed.
    private static func waitFor(_ fd: Int32, events: Int16, deadline: ContinuousClock.Instant) -> Result<Bool, Errno> {
        while true {
            let remaining = deadline - ContinuousClock.now
            let milliseconds = max(0, min(Int64(Int32.max), milliseconds(remaining)))
            switch System.poll(fd, events, Int32(milliseconds)).mapError(\.errno) {
            case .success(let revents):
                if revents != 0 { return .success(true) }
                if ContinuousClock.now >= deadline { return .success(false) }
            case .failure(.interrupted):
                continue
            case .failure(let errno):
                return .failure(errno)
            }
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }

    /// Whether the socket file at `path` has nobody listening (left by a dead process).
    private static func isStaleSocket(_ pointer: UnsafePointer<sockaddr>, _ length: socklen_t, path: String) -> Bool {
        guard (try? System.fileKind(atPath: path).get()) == .socket else { return false }
        guard case .success(let probe) = System.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0) else { return false }
        defer { _ = System.close(probe) }
        if case .failure(let errno) = System.connect(probe, pointer, length).mapError(\.errno) {
            return errno == .connectionRefused
        }
        return false
    }

    // MARK: - Addresses

    private static func withUnixAddress<T>(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result<T, QMPError>
    ) -> Result<T, QMPError> {
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        guard bytes.count < capacity else {
            return .failure(QMPError(.connectFailed, "the unix socket path is longer than \(capacity - 1) bytes: \(path)"))
        }
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        return withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    private struct Candidate {
        var family: Int32
        var pointer: UnsafePointer<sockaddr>
        var length: socklen_t
    }

    private static func withTCPAddresses<T>(
        host: String, port: UInt16, passive: Bool, address: MonitorAddress,
        _ body: ([Candidate]) -> Result<T, QMPError>
    ) -> Result<T, QMPError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = passive ? AI_PASSIVE : 0
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            let reason = status == 0 ? "no address" : String(cString: gai_strerror(status))
            return .failure(QMPError(.connectFailed, "cannot resolve \(host): \(reason)"))
        }
        defer { freeaddrinfo(list) }
        var candidates: [Candidate] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let pointer = current.pointee.ai_addr {
                candidates.append(Candidate(family: current.pointee.ai_family, pointer: UnsafePointer(pointer), length: current.pointee.ai_addrlen))
            }
            entry = current.pointee.ai_next
        }
        return body(candidates)
    }
}
