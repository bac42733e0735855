import Foundation
import Glibc
import QMP
import Synchronization

/// A fake QMP peer for what real QEMU will not do on demand: a unix (or
/// TCP) server socket that accepts one connection and runs a script on it,
/// on its own thread.
///
/// ```swift
/// let peer = try ScriptedPeer { connection in
///     connection.send(ScriptedPeer.greeting)
///     try connection.answerCapabilities()
///     connection.send("garbage\r\n")
/// }
/// let monitor = try await SocketMonitor.dial(peer.address, timeout: .seconds(5))
/// ```
///
/// Every test ends with `try await peer.finish()` (after closing its
/// monitor): it throws, failing the test, when the script threw (unexpected
/// input, a command it did not expect, the client hanging up early), when
/// a write to the client failed, or when the script did not end.
/// ``stop()`` (and deinit) closes every socket the peer holds.
public final class ScriptedPeer: @unchecked Sendable {
    // @unchecked Sendable: `address`, `directory` and the descriptors are
    // set once in init; the mutable `finished`/`error`/`connection` state
    // is guarded by `lock`; `problems` guards itself.

    /// Where to dial.
    public let address: MonitorAddress
    /// The folder holding the socket.
    public let directory: TemporaryDirectory
    private let listener: Int32
    private let lock = NSLock()
    private var finished = false
    private var error: (any Error)?
    private var connection: PeerConnection?
    private var stopped = false
    private let problems = PeerProblems()

    /// A greeting like QEMU 7.2's.
    public static let greeting = #"{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}}"# + "\r\n"

    /// Listens (on a unix socket in a temporary folder, or TCP on 127.0.0.1
    /// with `tcp: true`) and runs `script` on the first connection.
    public init(tcp: Bool = false, script: @escaping @Sendable (PeerConnection) throws -> Void) throws {
        directory = try TemporaryDirectory(prefix: "peer")
        if tcp {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                    bind(fd, generic, length) == 0 && Glibc.listen(fd, 1) == 0 && getsockname(fd, generic, &length) == 0
                }
            }
            guard fd >= 0, bound else { throw PeerFailure(message: "cannot listen on TCP: errno \(errno)") }
            listener = fd
            self.address = .tcp(host: "127.0.0.1", port: UInt16(bigEndian: address.sin_port))
        } else {
            let path = directory.file("peer.sock")
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                    bind(fd, generic, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 && Glibc.listen(fd, 1) == 0
                }
            }
            guard fd >= 0, bound else { throw PeerFailure(message: "cannot listen on \(path): errno \(errno)") }
            listener = fd
            self.address = .unix(path: path)
        }
        let thread = Thread { [self] in serve(script) }
        thread.start()
    }

    private func serve(_ script: @Sendable (PeerConnection) throws -> Void) {
        let fd = accept(listener, nil, nil)
        var failure: (any Error)?
        if fd >= 0 {
            let connection = PeerConnection(descriptor: fd, problems: problems)
            lock.withLock { self.connection = connection }
            do {
                try script(connection)
            } catch {
                failure = error
            }
        } else if !lock.withLock({ stopped }) {
            failure = PeerFailure(message: "accept failed: errno \(errno)")
        }
        lock.withLock {
            finished = true
            error = failure
        }
    }

    /// What the script threw, if it has finished with an error.
    public var scriptError: (any Error)? { lock.withLock { error } }

    /// What went wrong on the peer's side so far: what the script threw,
    /// then every failed write, in order.
    public var failures: [String] {
        let thrown = lock.withLock { error }.map { ["the script failed: \($0)"] } ?? []
        return thrown + problems.all
    }

    /// Waits up to `timeout` for the script to end, then checks it went as
    /// written. Call it once the client side is closed (a script reading
    /// "until stopped" ends at the end of the stream).
    /// - Throws: ``PeerFailure`` naming each problem: the script did not end,
    ///   threw, or a write to the client failed.
    public func finish(timeout: Duration = .seconds(10)) async throws {
        let ended = await waitUntilFinished(timeout: timeout)
        var found = failures
        if !ended { found.insert("the script did not finish within \(timeout)", at: 0) }
        guard found.isEmpty else { throw PeerFailure(message: "scripted peer: " + found.joined(separator: "; ")) }
    }

    /// Waits up to `timeout` for the script to finish; returns whether it did.
    public func waitUntilFinished(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !lock.withLock({ finished }) {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Closes the listening socket and the connection (which ends a script
    /// blocked in a read).
    public func stop() {
        let connection = lock.withLock { () -> PeerConnection? in
            stopped = true
            return self.connection
        }
        connection?.shutdownBothWays()
        shutdown(listener, Int32(SHUT_RDWR))
    }

    deinit {
        stop()
        close(listener)
    }
}

/// The peer's side of one connection.
public final class PeerConnection: @unchecked Sendable {
    // @unchecked Sendable: the descriptor is a `let`; `pending` is touched
    // only by the script's thread; `closed` is guarded by `lock`.
    private let descriptor: Int32
    private var pending: [UInt8] = []
    private let lock = NSLock()
    private var closed = false
    private let problems: PeerProblems

    init(descriptor: Int32, problems: PeerProblems) {
        self.descriptor = descriptor
        self.problems = problems
    }

    /// Sends `text` as it is (add `\r\n` yourself). A failed write is
    /// recorded and fails ``ScriptedPeer/finish(timeout:)``.
    public func send(_ text: String) {
        send(Array(text.utf8))
    }

    public func send(_ bytes: [UInt8]) {
        if let failure = write(bytes) { problems.record(failure) }
    }

    /// Sends `bytes` when the client may already have hung up (it is
    /// expected to close the connection); returns whether all went out.
    @discardableResult
    public func sendIfOpen(_ bytes: [UInt8]) -> Bool {
        write(bytes) == nil
    }

    /// Writes all of `bytes`; returns what went wrong, or nil.
    private func write(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { buffer -> String? in
            var offset = 0
            while offset < buffer.count {
                let sent = Glibc.send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0, errno == EINTR { continue }
                if sent <= 0 {
                    return "sending \(buffer.count) bytes failed after \(offset): \(String(cString: strerror(errno)))"
                }
                offset += sent
            }
            return nil
        }
    }

    /// Reads the next command line; nil at end of stream.
    public func readLine() -> [UInt8]? {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return nil }
            pending.append(contentsOf: chunk[..<count])
        }
    }

    /// Reads the next command; throws at end of stream or on bad JSON.
    public func readCommand() throws -> JSONValue {
        guard let line = readLine() else { throw PeerFailure(message: "the client closed the connection") }
        return try JSONValue(parsing: line)
    }

    /// Reads the next command and checks it is `name`; throws otherwise.
    @discardableResult
    public func readCommand(named name: String) throws -> JSONValue {
        let command = try readCommand()
        guard command["execute"]?.stringValue == name else {
            throw PeerFailure(message: "expected \(name), got \(command.jsonText)")
        }
        return command
    }

    /// Reads until the client closes the connection; throws when it sends
    /// anything more.
    public func expectEnd() throws {
        if let line = readLine() {
            throw PeerFailure(message: "expected the end of the stream, got \(String(decoding: line, as: UTF8.self))")
        }
    }

    /// Reads one command and answers `{"return": {}}` with its id.
    @discardableResult
    public func answer(_ result: String = "{}") throws -> JSONValue {
        let command = try readCommand()
        send(#"{"return": \#(result), "id": \#(command["id"]?.jsonText ?? "null")}"# + "\r\n")
        return command
    }

    /// Reads `qmp_capabilities` and answers it.
    public func answerCapabilities() throws {
        let command = try answer()
        guard command["execute"] == "qmp_capabilities" else {
            throw PeerFailure(message: "expected qmp_capabilities, got \(command)")
        }
    }

    /// Sends an event line.
    public func sendEvent(_ name: String, data: String = "{}") {
        send(#"{"event": "\#(name)", "data": \#(data), "timestamp": {"seconds": 1700000000, "microseconds": 1}}"# + "\r\n")
    }

    /// Sends `bytes` with `fd` attached as SCM_RIGHTS.
    public func send(_ text: String, passing fd: Int32) {
        let bytes = Array(text.utf8)
        let controlSize = MemoryLayout<cmsghdr>.size + MemoryLayout<Int32>.size
        let space = (controlSize + 7) & ~7
        var control = [UInt8](repeating: 0, count: space)
        control.withUnsafeMutableBytes { raw in
            var header = cmsghdr()
            header.cmsg_len = controlSize
            header.cmsg_level = SOL_SOCKET
            header.cmsg_type = Int32(SCM_RIGHTS)
            raw.storeBytes(of: header, as: cmsghdr.self)
            raw.storeBytes(of: fd, toByteOffset: MemoryLayout<cmsghdr>.size, as: Int32.self)
        }
        bytes.withUnsafeBytes { buffer in
            control.withUnsafeMutableBytes { controlBuffer in
                var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: buffer.baseAddress), iov_len: buffer.count)
                withUnsafeMutablePointer(to: &iov) { iovPointer in
                    var message = msghdr()
                    message.msg_iov = iovPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBuffer.baseAddress
                    message.msg_controllen = space
                    if sendmsg(descriptor, &message, Int32(MSG_NOSIGNAL)) != bytes.count {
                        problems.record("sending \(bytes.count) bytes with a descriptor failed: \(String(cString: strerror(errno)))")
                    }
                }
            }
        }
    }

    /// Sleeps the script's thread.
    public func pause(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }

    /// Stops both directions without freeing the descriptor (safe from any
    /// thread: the script may still be using the number).
    func shutdownBothWays() {
        lock.withLock {
            if !closed { _ = shutdown(descriptor, Int32(SHUT_RDWR)) }
        }
    }

    /// Closes the connection (once); call it from the script.
    public func close() {
        let wasOpen = lock.withLock { () -> Bool in
            defer { closed = true }
            return !closed
        }
        if wasOpen {
            shutdown(descriptor, Int32(SHUT_RDWR))
            Glibc.close(descriptor)
        }
    }

    deinit { close() }
}

/// The peer's side failures that are not the script's own throws.
final class PeerProblems: Sendable {
    private let list = Mutex<[String]>([])

    func record(_ problem: String) { list.withLock { $0.append(problem) } }
    var all: [String] { list.withLock { $0 } }
}

public struct PeerFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}
