internal import Glibc

/// The one layer between qmpbook and the C library: one thin wrapper per
/// libc call, for every module of this package.
///
/// ```swift
/// let fd = try System.open(path, .writeOnly, .create, .truncate).get()
/// defer { System.close(fd) }
/// try System.writeAll(fd, bytes).get()
/// ```
///
/// Each wrapper returns a `Result` whose failure is a ``SystemError`` naming
/// the call. EINTR is retried here and nowhere else, except for `close(2)`
/// (never retried on Linux: the descriptor is gone either way) and the calls
/// whose callers recompute a deadline (`poll`, `connect`). Descriptors are
/// opened close-on-exec. Only the files in `Sources/QMP/System` import Glibc.
package enum System {}

/// Runs `body` until it returns something other than -1 with EINTR (when
/// `retryOnInterrupt`), turning -1 into a ``SystemError`` for `call`.
@inline(__always)
func valueOrErrno<T: FixedWidthInteger>(
    _ call: @autoclosure () -> String, retryOnInterrupt: Bool = true, _ body: () -> T
) -> Result<T, SystemError> {
    while true {
        let result = body()
        if result != -1 { return .success(result) }
        let error = Errno.current
        if retryOnInterrupt && error == .interrupted { continue }
        return .failure(SystemError(call(), error))
    }
}
