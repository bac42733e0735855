import Dispatch
import QMP

/// Turns SIGINT and SIGTERM into a call of a handler, instead of the default
/// of dying on the spot, so a run can stop its QEMUs and write its report.
///
/// ```swift
/// let watcher = SignalWatcher { signal in runTask.cancel() }
/// defer { watcher.cancel() }
/// ```
///
/// While a watcher exists the two signals are ignored by the process and
/// delivered to the handler on a private dispatch queue. Child processes
/// started by ``LaunchedProcess`` get the default dispositions back.
public final class SignalWatcher: Sendable {
    public static let interrupt = System.signalInterrupt
    public static let terminate = System.signalTerminate

    // DispatchSourceSignal is not Sendable; the sources are created in init
    // and only cancelled afterwards, which dispatch allows from any thread.
    private struct Sources: @unchecked Sendable {
        var sources: [any DispatchSourceSignal]
    }

    private let sources: Sources

    public init(signals: [Int32] = [SignalWatcher.interrupt, SignalWatcher.terminate], handler: @escaping @Sendable (Int32) -> Void) {
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
    public static func ignoreBrokenPipes() {
        System.ignoreSignal(System.signalBrokenPipe)
    }

    /// Stops watching; the signals stay ignored until the process exits.
    public func cancel() {
        for source in sources.sources { source.cancel() }
    }
}
