import Synchronization

/// An output made from the run's final report — the JUnit file, the HTML
/// page — as an observer: written atomically (``ReportWriter``) when the run
/// finishes, in every outcome, its write error named in ``outputErrors``.
///
/// ```swift
/// let page = ReportFileWriter(path: "run.html") { HTMLReport.renderedBytes($0) }
/// let runner = PlaybookRunner(playbook: playbook, options: options, observers: [page])
/// ```
public final class ReportFileWriter: RunObserver {
    public let path: String
    private let render: @Sendable (RunReport) -> [UInt8]
    private let errors = Mutex<[String]>([])

    public init(path: String, render: @escaping @Sendable (RunReport) -> [UInt8]) {
        self.path = path
        self.render = render
    }

    public func runFinished(_ report: RunReport) {
        do {
            try ReportWriter.write(render(report), to: path)
        } catch {
            errors.withLock { $0.append(error.message) }
        }
    }

    public var outputErrors: [String] { errors.withLock { $0 } }
}
