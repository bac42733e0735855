import Playbook
import QMP

/// The report's step entries, in index order, read like an array of
/// ``StepReport``. A run keeps each finished entry in a spool file, as the
/// JSON the report will hold, and only a few bytes of it in memory (its
/// status, for the summary); reading an entry reads it back from the file.
/// Entries made in code, and those of a step still running, are kept in memory.
///
/// ```swift
/// var steps: ReportSteps = [StepReport(index: 0, name: "query", target: "vm", action: .execute)]
/// steps[0].status = .passed
/// let failed = steps.filter { !$0.status.isSuccess }
/// ```
public struct ReportSteps: RandomAccessCollection, MutableCollection, ExpressibleByArrayLiteral, Sendable {
    /// What is known of an entry without reading it back.
    private struct Entry: Sendable {
        /// Where it is in the spool; nil when it is in memory or `later`.
        var span: StepSpool.Span?
        /// Given to the spool to write when the connection is idle (``storeFinished(_:at:)``).
        var later: StepSpool.Later?
        var status: StepStatus
        var holdsSteps: Bool
    }

    private var entries: [Entry] = []
    /// The entries in memory, by index.
    private var kept: [Int: StepReport] = [:]
    private let spool: StepSpool?

    /// Entries kept in memory.
    public init<S: Sequence<StepReport>>(_ steps: S) {
        spool = nil
        for step in steps { append(step) }
    }

    public init(arrayLiteral steps: StepReport...) {
        self.init(steps)
    }

    /// Entries written to `spool` as they are stored (in memory without one).
    init(spool: StepSpool?) {
        self.spool = spool
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }

    public subscript(position: Int) -> StepReport {
        get {
            var oneRead: StepSpool.Reader?
            return read(position, through: &oneRead)
        }
        set { store(newValue, at: position, keepingInMemory: false) }
    }

    /// The entries in order, read back through one window of the spool
    /// file (a read per 64 KiB, not one per entry).
    public struct Iterator: IteratorProtocol {
        fileprivate let steps: ReportSteps
        fileprivate var position = 0
        fileprivate var reader: StepSpool.Reader?

        public mutating func next() -> StepReport? {
            guard position < steps.endIndex else { return nil }
            defer { position += 1 }
            return steps.read(position, through: &reader)
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(steps: self, reader: spool.map(StepSpool.Reader.init))
    }

    /// The entry at `position`, read back from the spool through `reader`
    /// (each read its own without one); an entry that cannot be read back says so.
    private func read(_ position: Int, through reader: inout StepSpool.Reader?) -> StepReport {
        if let step = kept[position] { return step }
        let entry = entries[position]
        if let span = spooledSpan(of: entry), let bytes = Self.bytes(of: span, spool: spool, through: &reader),
           let json = try? JSONValue(parsing: bytes), let step = StepReport(json: json, holdsSteps: entry.holdsSteps) {
            return step
        }
        var lost = StepReport(index: position, name: "", action: .log, status: entry.status)
        lost.message = "this entry could not be read back from the run's spool file"
        lost.holdsSteps = entry.holdsSteps
        return lost
    }

    private static func bytes(of span: StepSpool.Span, spool: StepSpool?, through reader: inout StepSpool.Reader?) -> [UInt8]? {
        guard reader != nil else { return spool?.read(span) }
        var bytes: [UInt8] = []
        return reader!.append(span, to: &bytes) ? bytes : nil
    }

    /// Adds `step` at the end: to the spool when there is one.
    public mutating func append(_ step: StepReport) {
        append(step, keepingInMemory: false)
    }

    /// Adds `step` at the end; `keepingInMemory` for an entry that will
    /// change (a step that has started, a block being run): it goes to
    /// the spool when it is stored again.
    mutating func append(_ step: StepReport, keepingInMemory: Bool) {
        entries.append(Entry(span: nil, status: step.status, holdsSteps: step.holdsSteps))
        store(step, at: entries.count - 1, keepingInMemory: keepingInMemory)
    }

    /// The entry at `position`, to change and store back with the
    /// subscript: one kept in memory is moved out rather than copied, so
    /// until it is stored again it reads as lost.
    mutating func take(_ position: Int) -> StepReport {
        kept.removeValue(forKey: position) ?? self[position]
    }

    /// The status of the entry at `position`, without reading it back.
    func status(at position: Int) -> StepStatus { entries[position].status }

    /// Whether the entry at `position` is a block's, an include's or a loop's own, without reading it back.
    func holdsSteps(at position: Int) -> Bool { entries[position].holdsSteps }

    /// Counts of the entries by status.
    var summary: Summary {
        Summary(entries.lazy.map { (status: $0.status, holdsSteps: $0.holdsSteps) })
    }

    /// Stores `step` at `position`, final: the spool writes it when the
    /// connection is next idle (``StepSpool/appendLater(_:)``). Reads see it at once.
    mutating func storeFinished(_ step: consuming StepReport, at position: Int) {
        guard let spool else { return store(step, at: position, keepingInMemory: false) }
        entries[position].status = step.status
        entries[position].holdsSteps = step.holdsSteps
        entries[position].span = nil
        entries[position].later = spool.appendLater(step)
        kept[position] = nil
    }

    /// Where `entry` is in the spool, or nil when it is in memory.
    private func spooledSpan(of entry: Entry) -> StepSpool.Span? {
        entry.span ?? entry.later.flatMap { later in spool?.span(of: later) }
    }

    private mutating func store(_ step: StepReport, at position: Int, keepingInMemory: Bool) {
        entries[position].later = nil
        entries[position].status = step.status
        entries[position].holdsSteps = step.holdsSteps
        guard let spool, !keepingInMemory else {
            entries[position].span = nil
            kept[position] = step
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1024)
        step.write(to: &bytes, indent: Self.reportIndent, level: Self.reportLevel)
        entries[position].span = spool.append(bytes)
        kept[position] = nil
    }

    /// How the report file lays out an entry: two spaces a level, inside `steps` inside the report.
    static let reportIndent = 2
    static let reportLevel = 2

    /// Appends the entries to `output` as the elements of the report's
    /// `steps` array (`array`): a spooled entry is copied as it was written
    /// when the layout is the file's, copied without its whitespace when the
    /// layout is compact (the `--jsonl` stream's `report` line), and written
    /// anew otherwise.
    func write(into array: inout JSONContainerWriter, output: inout ReportOutput) {
        let asSpooled = array.indent == Self.reportIndent && array.memberLevel == Self.reportLevel
        let compacted = array.indent == nil
        var reader = spool.map(StepSpool.Reader.init)
        var spooled: [UInt8] = []
        for position in indices {
            array.start(to: &output.bytes)
            if kept[position] == nil, asSpooled || compacted, let span = spooledSpan(of: entries[position]) {
                if asSpooled, reader?.append(span, to: &output.bytes) == true {
                    output.flushWhenFull()
                    continue
                }
                spooled.removeAll(keepingCapacity: true)
                if compacted, reader?.append(span, to: &spooled) == true {
                    JSONValue.appendCompacted(spooled, to: &output.bytes)
                    output.flushWhenFull()
                    continue
                }
            }
            self[position].write(to: &output.bytes, indent: array.indent, level: array.memberLevel)
            output.flushWhenFull()
        }
    }
}
