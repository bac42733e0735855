import Dispatch
import QMP

/// qmpbook's signal policy: SIGINT, SIGTERM, SIGHUP (the terminal or ssh
/// session closed), SIGUSR1 and SIGUSR2 become a call of a handler instead
/// of the default of dying on the spot, so a run can stop its QEMUs and
/// write its report; the handler passes them to
/// ``PlaybookRunner/interrupt(signal:)``. SIGQUIT keeps its default (a core
/// dump on request, for debugging a hang).
///
/// ```swift
/// let watcher = SignalWatcher { runner.interrupt(signal: $0) }
/// defer { watcher.cancel() }
/// ```
///
/// While a watcher exists the signals are ignored by the process and
/// delivered to the handler on a private dispatch queue. Child processes
/// started by the runner get the default dispositions back.
final class SignalWatcher: Sendable {
    /// The signals a run stops on.
    static let stopping: [Int32] = [
        System.signalHangUp, System.signalInterrupt, System.signalUser1, System.signalUser2, System.signalTerminate,
    ]

    // DispatchSourceSignal is not Sendable; the sources are created in init
    // and only cancelled afterwards, which dispatch allows from any thread.
    private struct Sources: @unchecked Sendable {
        var sources: [any DispatchSourceSignal]
    }

    private let sources: Sources

    init(signals: [Int32] = SignalWatcher.stopping, handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "qmpbook.signals")
        var made: [any DispatchSourceSignal] = []
        for number in signals {
            System.ignoreSignal(number)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            made.append(source)
        }
        sources = Sources(sources: made)
    }

    /// Makes writes to a closed pipe fail with EPIPE instead of killing the process with SIGPIPE.
    static func ignoreBrokenPipes() {
        System.ignoreSignal(System.signalBrokenPipe)
    }

    /// Stops watching; the signals stay ignored until the process exits.
    func cancel() {
        for source in sources.sources { source.cancel() }
    }
}
