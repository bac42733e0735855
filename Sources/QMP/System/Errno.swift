internal import Glibc

/// An error number from a failed system call, with the C library's text for it.
struct Errno: Error, Equatable, CustomStringConvertible {
    var rawValue: Int32

    /// The calling thread's current `errno`.
    static var current: Errno { Errno(rawValue: errno) }

    /// The call was interrupted by a signal. (EINTR)
    static let interrupted = Errno(rawValue: EINTR)
    /// The operation would block or timed out. (EAGAIN)
    static let wouldBlock = Errno(rawValue: EAGAIN)
    /// A non-blocking connect is under way. (EINPROGRESS)
    static let inProgress = Errno(rawValue: EINPROGRESS)
    /// The address is already in use. (EADDRINUSE)
    static let addressInUse = Errno(rawValue: EADDRINUSE)
    /// Nobody listens at the address. (ECONNREFUSED)
    static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    /// The peer reset the connection. (ECONNRESET)
    static let connectionReset = Errno(rawValue: ECONNRESET)
    /// The other end is closed. (EPIPE)
    static let brokenPipe = Errno(rawValue: EPIPE)
    /// No such file or directory. (ENOENT)
    static let noSuchFile = Errno(rawValue: ENOENT)
    /// The operation timed out. (ETIMEDOUT)
    static let timedOut = Errno(rawValue: ETIMEDOUT)
    /// The descriptor is not open. (EBADF)
    static let badDescriptor = Errno(rawValue: EBADF)
    /// An argument is invalid. (EINVAL)
    static let invalidArgument = Errno(rawValue: EINVAL)

    var description: String {
        guard let text = strerror(rawValue) else { return "errno \(rawValue)" }
        return String(cString: text)
    }
}

/// Turns a `-1` result into the current ``Errno``, retrying EINTR when asked.
@inline(__always)
func valueOrErrno<T: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ body: () -> T) -> Result<T, Errno> {
    while true {
        let result = body()
        if result != -1 { return .success(result) }
        let error = Errno.current
        if retryOnInterrupt && error == .interrupted { continue }
        return .failure(error)
    }
}
