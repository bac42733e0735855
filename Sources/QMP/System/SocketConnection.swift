internal import Glibc
import Synchronization

/// A connected stream socket, the one owner of its descriptor.
///
/// The reader thread is the only caller of ``receive(into:)`` and the only
/// caller of ``close()``; writers serialize on a lock, so a command's bytes
/// go out contiguously. ``shutdown()`` may be called from anywhere: it wakes
/// a blocked `recvmsg` and fails later sends, but leaves the descriptor
/// number allocated until the reader closes it, so no other thread can ever
/// operate on a reused descriptor.
final class SocketConnection: Sendable {
    let descriptor: Int32
    /// Whether this is a unix socket (the only kind that can carry descriptors).
    let isUnix: Bool
    /// Held for each whole send; `true` once the descriptor is closed.
    private let sendLock = Mutex<Bool>(false)
    /// Held for shutdown and close; `true` once the descriptor is closed.
    private let closeLock = Mutex<Bool>(false)

    init(descriptor: Int32, isUnix: Bool) {
        self.descriptor = descriptor
        self.isUnix = isUnix
    }

    /// Sends all of `bytes`; with `fd`, the descriptor rides on the first
    /// `sendmsg` as SCM_RIGHTS. The caller keeps ownership of `fd`.
    func send(_ bytes: [UInt8], passing fd: Int32? = nil) -> Result<Void, Errno> {
        sendLock.withLock { closed -> Result<Void, Errno> in
            if closed { return .failure(.brokenPipe) }
            return bytes.withUnsafeBytes { buffer -> Result<Void, Errno> in
                var offset = 0
                if let fd {
                    switch System.send(descriptor, buffer, passing: fd).mapError(\.errno) {
                    case .success(let sent): offset = sent
                    case .failure(let error): return .failure(error)
                    }
                }
                while offset < buffer.count {
                    switch System.send(descriptor, UnsafeRawBufferPointer(rebasing: buffer[offset...])).mapError(\.errno) {
                    case .success(let sent): offset += sent
                    case .failure(let error): return .failure(error)
                    }
                }
                return .success(())
            }
        }
    }

    /// Reads what is available (blocking until something is), closing any
    /// descriptors the peer attached: QMP never hands us one, and a stray
    /// one must not leak. Returns 0 at end of stream.
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        var iov = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        let controlSize = 256
        return withUnsafeTemporaryAllocation(byteCount: controlSize, alignment: 8) { control in
            withUnsafeMutablePointer(to: &iov) { iovPointer in
                var message = msghdr()
                message.msg_iov = iovPointer
                message.msg_iovlen = 1
                message.msg_control = control.baseAddress
                message.msg_controllen = controlSize
                let result = System.recvmsg(descriptor, &message).mapError(\.errno)
                if message.msg_controllen > 0 {
                    Self.closeReceivedDescriptors(UnsafeRawBufferPointer(rebasing: control[..<min(controlSize, Int(message.msg_controllen))]))
                }
                return result
            }
        }
    }

    /// Walks the control messages (the CMSG_* macros, done by hand) and
    /// closes every SCM_RIGHTS descriptor in them.
    private static func closeReceivedDescriptors(_ control: UnsafeRawBufferPointer) {
        let headerSize = MemoryLayout<cmsghdr>.size
        var offset = 0
        while offset + headerSize <= control.count {
            let header = control.loadUnaligned(fromByteOffset: offset, as: cmsghdr.self)
            let length = Int(header.cmsg_len)
            guard length >= headerSize, offset + length <= control.count else { break }
            if header.cmsg_level == SOL_SOCKET, header.cmsg_type == Int32(SCM_RIGHTS) {
                let count = (length - headerSize) / MemoryLayout<Int32>.size
                for index in 0..<count {
                    let fd = control.loadUnaligned(fromByteOffset: offset + headerSize + index * 4, as: Int32.self)
                    _ = System.close(fd)
                }
            }
            offset += (length + 7) & ~7
        }
    }

    /// Stops both directions: a blocked receive returns end of stream and
    /// later sends fail. Safe to call any number of times, from any thread.
    func shutdown() {
        closeLock.withLock { closed in
            if !closed { _ = System.shutdown(descriptor) }
        }
    }

    /// Closes the descriptor; called once, by the reader thread as it ends.
    func close() {
        sendLock.withLock { sendClosed in
            closeLock.withLock { closed in
                guard !closed else { return }
                closed = true
                sendClosed = true
                _ = System.close(descriptor)
            }
        }
    }
}
