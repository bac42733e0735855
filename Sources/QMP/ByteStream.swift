import FoundationEssentials
import Synchronization

/// A raw byte stream over a socket: the host end of a chardev that carries
/// no protocol, such as a serial console.
///
/// ```swift
/// let console = try await ByteStream.dial(.unix(path: "/run/vm.console"), timeout: .seconds(5))
/// console.start(onBytes: { bytes in print(String(decoding: bytes, as: UTF8.self)) }, onEnd: { _ in })
/// try console.send(Array("uname -a\n".utf8))
/// console.close()
/// ```
///
/// One reader thread (started by ``start(onBytes:onEnd:)``) delivers what
/// arrives, in order, and is the only closer of the socket; ``close()`` may be
/// called from anywhere and wakes it.
public final class ByteStream: Sendable {
    private let connection: SocketConnection
    private let state = Mutex(State())

    private struct State {
        var started = false
        var closed = false
        var finished = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    init(connection: SocketConnection) {
        self.connection = connection
    }

    deinit {
        connection.shutdown()
        if !state.withLock({ $0.started }) { connection.close() }
    }

    /// Connects to `address` within `timeout`, without retrying.
    /// - Throws: ``QMPError/Code/connectFailed`` or ``QMPError/Code/timeout``.
    public static func dial(_ address: MonitorAddress, timeout: Duration) async throws(QMPError) -> ByteStream {
        let connection = try await SocketOpening.dialOffThePool(address, timeout: timeout).get()
        return ByteStream(connection: connection)
    }

    /// Starts the reader thread: `onBytes` gets every chunk as it arrives, then
    /// `onEnd` once (nil when the peer closed the stream or ``close()`` was called).
    /// Only the first call starts anything.
    public func start(onBytes: @escaping @Sendable ([UInt8]) -> Void, onEnd: @escaping @Sendable (QMPError?) -> Void) {
        let first = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started
        }
        guard first else { return }
        System.startThread(named: "qmp-stream") { [self] in readLoop(onBytes: onBytes, onEnd: onEnd) }
    }

    private func readLoop(onBytes: @Sendable ([UInt8]) -> Void, onEnd: @Sendable (QMPError?) -> Void) {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { chunk.deallocate() }
        var end: QMPError?
        while true {
            switch connection.receive(into: chunk) {
            case .success(0):
                end = nil
            case .success(let count):
                onBytes(Array(UnsafeRawBufferPointer(rebasing: chunk[..<count])))
                continue
            case .failure(let errno):
                end = state.withLock { $0.closed } ? nil : QMPError.connectionClosed("reading the stream failed: \(errno)")
            }
            break
        }
        connection.shutdown()
        connection.close()
        onEnd(end)
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.finished = true
            defer { state.closeWaiters = [] }
            return state.closeWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Writes all of `bytes`.
    /// - Throws: ``QMPError/Code/connectionClosed`` when the stream is closed or the write fails.
    public func send(_ bytes: [UInt8]) throws(QMPError) {
        if case .failure(let errno) = connection.send(bytes) {
            throw QMPError.connectionClosed("writing to the stream failed: \(errno)")
        }
    }

    /// Ends the stream; the reader delivers nothing more and calls `onEnd(nil)`.
    public func close() {
        state.withLock { $0.closed = true }
        connection.shutdown()
    }

    /// Ends the stream and returns once the reader has closed the socket (at once when never started).
    public func closeAndWait() async {
        close()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.finished || !state.started { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
