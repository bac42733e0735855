/// A failed system call: which call (with what it was about), and why.
///
/// Prints as `open /tmp/x: No such file or directory`. Every wrapper in
/// ``System`` fails with this; callers add what they were doing.
package struct SystemError: Error, Equatable, CustomStringConvertible {
    /// The call and its subject, e.g. `open /tmp/x`, `rename A to B`, `connect`.
    package var call: String
    /// The error number the call left.
    package var errno: Errno

    package init(_ call: String, _ errno: Errno) {
        self.call = call
        self.errno = errno
    }

    package var description: String { "\(call): \(errno)" }
}
