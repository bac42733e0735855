internal import Glibc
internal import CQMPShim

// One thin wrapper per C library call; nothing else in QMP calls libc.
// Each returns a Result so callers see a typed Errno; EINTR is retried
// except for close(2), which must never be retried on Linux.

func system_socket(_ domain: Int32, _ type: Int32, _ protocol: Int32) -> Result<Int32, Errno> {
    valueOrErrno { socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), `protocol`) }
}

func system_connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Result<Int32, Errno> {
    // A connect interrupted by a signal goes on in the background; retrying
    // it gives EALREADY, so EINTR is reported as "in progress" instead.
    switch valueOrErrno(retryOnInterrupt: false, { connect(fd, address, length) }) {
    case .failure(.interrupted): return .failure(.inProgress)
    case let other: return other
    }
}

func system_bind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Result<Int32, Errno> {
    valueOrErrno { bind(fd, address, length) }
}

func system_listen(_ fd: Int32, _ backlog: Int32) -> Result<Int32, Errno> {
    valueOrErrno { listen(fd, backlog) }
}

func system_accept(_ fd: Int32) -> Result<Int32, Errno> {
    valueOrErrno { qmp_accept_cloexec(fd) }
}

func system_setsockopt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) -> Result<Int32, Errno> {
    var value = value
    return valueOrErrno { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
}

func system_getsockopt(_ fd: Int32, _ level: Int32, _ name: Int32) -> Result<Int32, Errno> {
    var value: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    return valueOrErrno { getsockopt(fd, level, name, &value, &length) }.map { _ in value }
}

func system_send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Result<Int, Errno> {
    valueOrErrno { send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
}

func system_recvmsg(_ fd: Int32, _ message: UnsafeMutablePointer<msghdr>) -> Result<Int, Errno> {
    valueOrErrno { recvmsg(fd, message, Int32(MSG_CMSG_CLOEXEC)) }
}

func system_shutdown(_ fd: Int32) -> Result<Int32, Errno> {
    valueOrErrno { shutdown(fd, Int32(SHUT_RDWR)) }
}

func system_close(_ fd: Int32) -> Result<Int32, Errno> {
    valueOrErrno(retryOnInterrupt: false) { close(fd) }
}

func system_poll(_ fd: Int32, _ events: Int16, _ milliseconds: Int32) -> Result<Int16, Errno> {
    var descriptor = pollfd(fd: fd, events: events, revents: 0)
    // Not retried here: the caller recomputes the remaining time and polls again.
    return valueOrErrno(retryOnInterrupt: false) { poll(&descriptor, 1, milliseconds) }.map { _ in descriptor.revents }
}

func system_fcntl_setNonBlocking(_ fd: Int32, _ nonBlocking: Bool) -> Result<Int32, Errno> {
    valueOrErrno { () -> Int32 in
        let flags = fcntl(fd, F_GETFL)
        if flags == -1 { return -1 }
        return fcntl(fd, F_SETFL, nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
    }
}

func system_open(_ path: String, _ flags: Int32, _ permissions: UInt32) -> Result<Int32, Errno> {
    valueOrErrno { open(path, flags | O_CLOEXEC, permissions) }
}

func system_unlink(_ path: String) -> Result<Int32, Errno> {
    valueOrErrno { unlink(path) }
}

func system_lstat_isSocket(_ path: String) -> Bool {
    var info = stat()
    guard lstat(path, &info) == 0 else { return false }
    return (info.st_mode & S_IFMT) == S_IFSOCK
}

/// A connected pair of unix stream sockets, both close-on-exec: a wake-up channel.
func system_socketpair() -> Result<(Int32, Int32), Errno> {
    var descriptors: (Int32, Int32) = (-1, -1)
    let result = withUnsafeMutableBytes(of: &descriptors) { raw in
        valueOrErrno { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, raw.baseAddress?.assumingMemoryBound(to: Int32.self)) }
    }
    return result.map { _ in descriptors }
}

/// Writes one byte without blocking (a full buffer already means "wake up").
func system_send_wakeup(_ fd: Int32) -> Result<Int, Errno> {
    var byte: UInt8 = 1
    return valueOrErrno { send(fd, &byte, 1, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
}

/// Reads and discards whatever wake-up bytes are pending, without blocking.
func system_drain_wakeups(_ fd: Int32) {
    var bytes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &bytes) { raw in
        while case .success(let count) = valueOrErrno({ recv(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT)) }), count == raw.count {}
    }
}

/// Waits, without a time limit, until `first` or `second` is readable (or
/// hung up, or in error); returns each one's `revents`.
func system_poll_readable(_ first: Int32, _ second: Int32) -> Result<(first: Int16, second: Int16), Errno> {
    var descriptors = (pollfd(fd: first, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: second, events: Int16(POLLIN), revents: 0))
    let result = withUnsafeMutableBytes(of: &descriptors) { raw in
        valueOrErrno { poll(raw.baseAddress?.assumingMemoryBound(to: pollfd.self), 2, -1) }
    }
    return result.map { _ in (descriptors.0.revents, descriptors.1.revents) }
}

/// The calling thread's identity, for telling threads apart. pthread_self(3)
func system_current_thread() -> UInt {
    UInt(pthread_self())
}
