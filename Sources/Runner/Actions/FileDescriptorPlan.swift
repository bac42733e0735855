import FoundationEssentials
import Playbook
import QMP
import Synchronization

/// `fd:` with its path resolved against the playbook's folder.
struct FileDescriptorPlan: Sendable {
    var path: String
    var mode: FileDescriptorSpec.Mode
    var create: Bool
    var permissions: UInt32

    /// Opens the file with the engine's opener (the one `qmpbook exec --fd`
    /// uses: `write` truncates); the caller closes it.
    func open() -> Result<OpenedFile, SystemError> {
        OpenedFile.open(path: path, mode: mode, create: create, permissions: permissions)
    }

    /// How ``open(within:)`` went.
    enum Opening: Sendable {
        case opened(OpenedFile)
        case failed(SystemError)
        /// The open still blocked when the time was up (a FIFO nobody has
        /// opened from the other side); the caller was cancelled, or `timeout` passed.
        case blocked
    }

    /// Opens the file on a thread of its own, so that an open that blocks —
    /// a FIFO with no writer (or, for writing, no reader) — ends when
    /// `timeout` passes or the calling task is cancelled, not never. A
    /// blocked open is then released (the FIFO is opened from the other side
    /// for a moment, which lets the waiting open finish) and its descriptor closed.
    func open(within timeout: Duration) async -> Opening {
        let plan = self
        let race = OpeningRace()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Opening, Never>) in
                race.wait(continuation)
                System.startThread(named: "qmpbook-fd-open") {
                    let opening: Opening
                    switch plan.open() {
                    case .success(let file): opening = .opened(file)
                    case .failure(let error): opening = .failed(error)
                    }
                    if !race.finish(opening), case .opened(let file) = opening { file.close() }
                }
                Task {
                    try? await Task.sleep(for: timeout)
                    if race.finish(.blocked) { plan.releaseBlockedOpen() }
                }
            }
        } onCancel: {
            if race.finish(.blocked) { plan.releaseBlockedOpen() }
        }
    }

    /// Who ends ``open(within:)`` first: the open, the time limit or a cancellation.
    private final class OpeningRace: Sendable {
        private struct State {
            var waiter: CheckedContinuation<Opening, Never>?
            /// What ended the race before anyone waited (a cancellation).
            var early: Opening?
            var done = false
        }

        private let state = Mutex(State())

        func wait(_ continuation: CheckedContinuation<Opening, Never>) {
            let early: Opening? = state.withLock { state in
                if state.done { return state.early ?? .blocked }
                state.waiter = continuation
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }

        /// Ends the race with `opening`; false when something else already did.
        func finish(_ opening: Opening) -> Bool {
            let result: (won: Bool, waiter: CheckedContinuation<Opening, Never>?) = state.withLock { state in
                guard !state.done else { return (false, nil) }
                state.done = true
                if state.waiter == nil { state.early = opening }
                defer { state.waiter = nil }
                return (true, state.waiter)
            }
            result.waiter?.resume(returning: opening)
            return result.won
        }
    }

    /// Lets an open blocked on a FIFO finish: a FIFO opened read-write
    /// counts as both a reader and a writer, which wakes the other side.
    private func releaseBlockedOpen() {
        guard case .success(let status) = System.status(atPath: path), status.kind == .fifo else { return }
        if case .success(let fd) = System.open(path, .readWrite) { System.close(fd) }
    }

    var json: JSONValue { ["path": .string(path), "mode": .string(mode.rawValue)] }
}
