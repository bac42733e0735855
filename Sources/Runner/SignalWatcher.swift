import Dispatch
import QMP

/// Turns SIGINT, SIGTERM, SIGHUP (the terminal or ssh session closed),
/// SIGUSR1 and SIGUSR2 into a call of a handler, instead of the default of
/// dying on the spot, so a run can stop its QEMUs and write its report.
/// SIGQUIT keeps its default (a core dump on request, for debugging a hang).
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
    /// The signals a run stops on, in the order of their numbers' names below.
    public static let stopping: [Int32] = [System.signalHangUp, interrupt, System.signalUser1, System.signalUser2, terminate]

    /// `SIGINT`, `SIGTERM`, …: the name of one of the ``stopping`` signals.
    public static func name(of number: Int32) -> String {
        let names = ["SIGHUP", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGTERM"]
        return stopping.firstIndex(of: number).map { names[$0] } ?? "signal \(number)"
    }

    /// The exit status of a run a signal stopped: 128 + its number (SIGHUP 129, SIGTERM 143).
    public static func exitCode(of number: Int32) -> Int32 { 128 + number }

    // DispatchSourceSignal is not Sendable; the sources are created in init
    // and only cancelled afterwards, which dispatch allows from any thread.
    private struct Sources: @unchecked Sendable {
        var sources: [any DispatchSourceSignal]
    }

    private let sources: Sources

    public init(signals: [Int32] = SignalWatcher.stopping, handler: @escaping @Sendable (Int32) -> Void) {
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
