internal import Glibc

extension System {
    /// poll(2) on one descriptor for up to `milliseconds`; its `revents`.
    /// Not retried on EINTR: the caller recomputes the time left and polls again.
    static func poll(_ fd: Int32, _ events: Int16, _ milliseconds: Int32) -> Result<Int16, SystemError> {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        return valueOrErrno("poll", retryOnInterrupt: false) { Glibc.poll(&descriptor, 1, milliseconds) }.map { _ in descriptor.revents }
    }

    /// poll(2) without a time limit until `first` or `second` is readable
    /// (or hung up, or in error); each one's `revents`.
    static func pollReadable(_ first: Int32, _ second: Int32) -> Result<(first: Int16, second: Int16), SystemError> {
        var descriptors = (pollfd(fd: first, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: second, events: Int16(POLLIN), revents: 0))
        let result = withUnsafeMutableBytes(of: &descriptors) { raw in
            valueOrErrno("poll") { Glibc.poll(raw.baseAddress?.assumingMemoryBound(to: pollfd.self), 2, -1) }
        }
        return result.map { _ in (descriptors.0.revents, descriptors.1.revents) }
    }

    /// The poll events for "readable". POLLIN
    static let readable = Int16(POLLIN)
    /// The poll events for "writable". POLLOUT
    static let writable = Int16(POLLOUT)
}
