internal import Glibc

/// An error number from a failed system call, with the C library's text for it
/// (the `errno` of a ``SystemError``).
package struct Errno: Error, Equatable, CustomStringConvertible {
    package var rawValue: Int32

    package init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The calling thread's current `errno`.
    package static var current: Errno { Errno(rawValue: errno) }

    /// The call was interrupted by a signal. (EINTR)
    package static let interrupted = Errno(rawValue: EINTR)
    /// The operation would block or timed out. (EAGAIN)
    package static let wouldBlock = Errno(rawValue: EAGAIN)
    /// A non-blocking connect is under way. (EINPROGRESS)
    package static let inProgress = Errno(rawValue: EINPROGRESS)
    /// The address is already in use. (EADDRINUSE)
    package static let addressInUse = Errno(rawValue: EADDRINUSE)
    /// Nobody listens at the address. (ECONNREFUSED)
    package static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    /// The peer reset the connection. (ECONNRESET)
    package static let connectionReset = Errno(rawValue: ECONNRESET)
    /// The other end is closed. (EPIPE)
    package static let brokenPipe = Errno(rawValue: EPIPE)
    /// No such file or directory. (ENOENT)
    package static let noSuchFile = Errno(rawValue: ENOENT)
    /// The operation timed out. (ETIMEDOUT)
    package static let timedOut = Errno(rawValue: ETIMEDOUT)
    /// The descriptor is not open. (EBADF)
    package static let badDescriptor = Errno(rawValue: EBADF)
    /// Permission denied. (EACCES)
    package static let permissionDenied = Errno(rawValue: EACCES)
    /// The path is a folder. (EISDIR)
    package static let isDirectory = Errno(rawValue: EISDIR)
    /// The file exists. (EEXIST)
    package static let fileExists = Errno(rawValue: EEXIST)
    /// An argument is invalid. (EINVAL)
    package static let invalidArgument = Errno(rawValue: EINVAL)
    /// Too many levels of symbolic links. (ELOOP)
    package static let tooManySymbolicLinks = Errno(rawValue: ELOOP)

    package var description: String {
        guard let text = strerror(rawValue) else { return "errno \(rawValue)" }
        return String(cString: text)
    }
}
