internal import Glibc
internal import CQMPShim

extension System {
    /// socket(2), close-on-exec. SOCK_CLOEXEC
    static func socket(_ domain: Int32, _ type: Int32, _ protocol: Int32) -> Result<Int32, SystemError> {
        valueOrErrno("socket") { Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), `protocol`) }
    }

    /// connect(2). A connect interrupted by a signal goes on in the
    /// background; retrying it gives EALREADY, so EINTR is reported as
    /// EINPROGRESS instead.
    static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Result<Int32, SystemError> {
        switch valueOrErrno("connect", retryOnInterrupt: false, { Glibc.connect(fd, address, length) }) {
        case .failure(let error) where error.errno == .interrupted: return .failure(SystemError("connect", .inProgress))
        case let other: return other
        }
    }

    /// bind(2).
    static func bind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Result<Int32, SystemError> {
        valueOrErrno("bind") { Glibc.bind(fd, address, length) }
    }

    /// listen(2).
    static func listen(_ fd: Int32, _ backlog: Int32) -> Result<Int32, SystemError> {
        valueOrErrno("listen") { Glibc.listen(fd, backlog) }
    }

    /// accept4(2) with SOCK_CLOEXEC (through the C shim).
    static func accept(_ fd: Int32) -> Result<Int32, SystemError> {
        valueOrErrno("accept") { qmp_accept_cloexec(fd) }
    }

    /// setsockopt(2) for an integer option.
    static func setsockopt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) -> Result<Int32, SystemError> {
        var value = value
        return valueOrErrno("setsockopt") { Glibc.setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// getsockopt(2) for an integer option.
    static func getsockopt(_ fd: Int32, _ level: Int32, _ name: Int32) -> Result<Int32, SystemError> {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return valueOrErrno("getsockopt") { Glibc.getsockopt(fd, level, name, &value, &length) }.map { _ in value }
    }

    /// setsockopt(2) of SO_SNDTIMEO: how long a blocking send, or a unix
    /// socket's connect to a listener whose backlog is full, may wait
    /// (`.zero`: without limit; anything above it: at least a microsecond).
    static func setSendTimeout(_ fd: Int32, _ duration: Duration) -> Result<Int32, SystemError> {
        let (seconds, attoseconds) = max(duration, .zero).components
        var microseconds = attoseconds / 1_000_000_000_000
        if seconds == 0, microseconds == 0, duration > .zero { microseconds = 1 }
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(microseconds))
        return valueOrErrno("setsockopt") {
            Glibc.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// send(2) with MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE.
    static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Result<Int, SystemError> {
        valueOrErrno("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    /// sendmsg(2) of `buffer` with `passing` attached by SCM_RIGHTS (through the C shim).
    static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, passing descriptor: Int32) -> Result<Int, SystemError> {
        valueOrErrno("sendmsg") { qmp_send_with_fd(fd, buffer.baseAddress, buffer.count, descriptor) }
    }

    /// recvmsg(2) with MSG_CMSG_CLOEXEC.
    static func recvmsg(_ fd: Int32, _ message: UnsafeMutablePointer<msghdr>) -> Result<Int, SystemError> {
        valueOrErrno("recvmsg") { Glibc.recvmsg(fd, message, Int32(MSG_CMSG_CLOEXEC)) }
    }

    /// shutdown(2) of both directions.
    static func shutdown(_ fd: Int32) -> Result<Int32, SystemError> {
        valueOrErrno("shutdown") { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// socketpair(2): a connected pair of unix stream sockets, both close-on-exec (a wake-up channel).
    static func socketpair() -> Result<(Int32, Int32), SystemError> {
        var descriptors: (Int32, Int32) = (-1, -1)
        let result = withUnsafeMutableBytes(of: &descriptors) { raw in
            valueOrErrno("socketpair") {
                Glibc.socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0,
                                 raw.baseAddress?.assumingMemoryBound(to: Int32.self))
            }
        }
        return result.map { _ in descriptors }
    }

    /// send(2) of one byte with MSG_DONTWAIT (a full buffer already means "wake up").
    static func sendWakeup(_ fd: Int32) -> Result<Int, SystemError> {
        var byte: UInt8 = 1
        return valueOrErrno("send") { Glibc.send(fd, &byte, 1, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
    }

    /// recv(2) with MSG_DONTWAIT until nothing is left: discards pending wake-up bytes.
    static func drainWakeups(_ fd: Int32) {
        var bytes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { raw in
            while case .success(let count) = valueOrErrno("recv", { Glibc.recv(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT)) }),
                  count == raw.count {}
        }
    }
}
