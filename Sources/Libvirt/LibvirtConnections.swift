import QMP
import Synchronization

/// The process's libvirt connections: one per URI, opened by the first
/// target on it and closed when the last one lets go.
///
/// ```swift
/// let connection = try await LibvirtConnections.shared.acquire(uri, timeout: .seconds(10))
/// defer { LibvirtConnections.shared.release(connection) }
/// ```
///
/// libvirt has no connect timeout: `virConnectOpen` runs on a thread of its
/// own and each caller waits for it at most its own `timeout`. A connection
/// that opens after everyone stopped waiting is closed at once.
final class LibvirtConnections: Sendable {
    static let shared = LibvirtConnections()

    /// One URI's connection: opening or open, and how many targets hold it.
    private final class Slot: Sendable {
        let opening: Completion<Result<LibvirtConnection, QMPError>>
        init(opening: Completion<Result<LibvirtConnection, QMPError>>) { self.opening = opening }
    }

    private struct Entry {
        var slot: Slot
        var users: Int
    }

    private let entries = Mutex<[LibvirtURI: Entry]>([:])

    /// The open connection to `uri`, opening it when no target holds one.
    /// Each successful call is matched by one ``release(_:)``.
    /// - Throws: ``QMPError/Code/connectFailed`` with libvirt's reason,
    ///   ``QMPError/Code/timeout`` when the daemon did not answer within
    ///   `timeout`, ``QMPError/Code/cancelled``, or ``QMPError/Code/unsupported``
    ///   when libvirt cannot be loaded.
    func acquire(_ uri: LibvirtURI, timeout: Duration) async throws(QMPError) -> LibvirtConnection {
        let runtime = try LibvirtRuntime.shared()
        let (slot, isNew) = entries.withLock { entries -> (Slot, Bool) in
            if var entry = entries[uri] {
                entry.users += 1
                entries[uri] = entry
                return (entry.slot, false)
            }
            let slot = Slot(opening: Completion())
            entries[uri] = Entry(slot: slot, users: 1)
            return (slot, true)
        }
        if isNew { start(slot, uri: uri, runtime: runtime) }
        switch await slot.opening.wait(timeout: timeout) {
        case .value(.success(let connection)):
            return connection
        case .value(.failure(let error)):
            drop(slot, uri: uri)
            throw error
        case .timedOut:
            drop(slot, uri: uri)
            throw QMPError(.timeout, "libvirt at \(uri) did not answer within \(timeout.readableDescription)")
        case .cancelled:
            drop(slot, uri: uri)
            throw QMPError(.cancelled, "interrupted while connecting to libvirt at \(uri)")
        }
    }

    /// Lets go of a connection from ``acquire(_:timeout:)``; the last user closes it.
    func release(_ connection: LibvirtConnection) {
        let close = entries.withLock { entries -> Bool in
            guard var entry = entries[connection.uri],
                  case .success(let held)? = entry.slot.opening.value, held === connection
            else { return true }  // forgotten after its close: nobody else holds it
            entry.users -= 1
            if entry.users > 0 {
                entries[connection.uri] = entry
                return false
            }
            entries[connection.uri] = nil
            return true
        }
        if close { _ = BlockingThreads.shared.start { connection.closeBlocking() } }
    }

    /// Forgets a connection that closed, so the next target opens a new one.
    /// Its users still call ``release(_:)``, which then closes it.
    func forget(_ connection: LibvirtConnection) {
        entries.withLock { entries in
            if case .success(let held)? = entries[connection.uri]?.slot.opening.value, held === connection {
                entries[connection.uri] = nil
            }
        }
    }

    private func start(_ slot: Slot, uri: LibvirtURI, runtime: LibvirtRuntime) {
        let api = runtime.api
        _ = BlockingThreads.shared.start { () -> Void in
            let result: Result<LibvirtConnection, QMPError>
            if let pointer = api.connectOpen(uri.text) {
                result = .success(LibvirtConnection(uri: uri, runtime: runtime, handle: LibvirtHandle(pointer: pointer)))
            } else {
                let failure = LibvirtFailure.last(in: api, call: "virConnectOpen")
                result = .failure(QMPError(.connectFailed, "could not connect to libvirt at \(uri): \(failure.message)"))
            }
            slot.opening.complete(result)
            // Everyone gave up waiting before it opened: nobody will release it.
            let abandoned = self.entries.withLock { $0[uri]?.slot !== slot }
            if abandoned, case .success(let connection) = result { connection.closeBlocking() }
        }
    }

    /// Drops one user of a slot whose opening failed or was not waited for;
    /// the last one closes a connection that opened meanwhile.
    private func drop(_ slot: Slot, uri: LibvirtURI) {
        let orphan = entries.withLock { entries -> LibvirtConnection? in
            guard var entry = entries[uri], entry.slot === slot else { return nil }
            entry.users -= 1
            if entry.users > 0 {
                entries[uri] = entry
                return nil
            }
            entries[uri] = nil
            if case .success(let connection)? = slot.opening.value { return connection }
            return nil
        }
        if let orphan { _ = BlockingThreads.shared.start { orphan.closeBlocking() } }
    }
}
