import FoundationEssentials
import Playbook
import Synchronization
import QMP

/// Streams what happens during a run as JSON lines, an observer: each line
/// written (and flushed) as it happens: `step-started`, `step-finished`,
/// `event`, and at the end `report` with the whole report (then the file is closed).
///
/// ```json
/// {"type":"step-started","time":"…","index":0,"id":null,"name":"plug","target":"vm","phase":"main"}
/// {"type":"event","event":{"target":"vm","event":"DEVICE_DELETED",…}}
/// {"type":"step-finished","step":{…a step of the report…}}
/// {"type":"report","report":{…}}
/// ```
public final class JSONLinesWriter: RunObserver {
    private struct State {
        var fd: Int32
        /// The first write that failed, in words; later lines are dropped.
        var error: String?
    }

    private let state: Mutex<State>
    private let ownsDescriptor: Bool
    /// The path as given (`-` for stdout), for messages.
    public let path: String

    /// Opens `path` for writing, or stdout for `-`: a regular file is created
    /// or truncated (a symbolic link followed); a FIFO, a device or
    /// `/dev/fd/N` is written through as it is (``AtomicFile/openForStreaming(_:permissions:)``).
    /// - Throws: ``RunnerError`` (infrastructure) when the file cannot be opened.
    public init(path: String) throws(RunnerError) {
        self.path = path
        if path == ReportWriter.standardOutput {
            let closed = System.closedStandardDescriptors.contains(1)
            state = Mutex(State(fd: closed ? -1 : 1, error: closed ? "cannot write to stdout: it is closed" : nil))
            ownsDescriptor = false
        } else {
            switch AtomicFile.openForStreaming(path) {
            case .success(let opened): state = Mutex(State(fd: opened))
            case .failure(let error): throw RunnerError(.infrastructure, "cannot open \(path): \(error)")
            }
            ownsDescriptor = true
        }
    }

    /// Why the stream is incomplete: its first write error, or nil when every line was written.
    public var outputErrors: [String] {
        state.withLock { $0.error }.map { [$0] } ?? []
    }

    deinit {
        close()
    }

    public func stepStarted(_ step: Step) {
        write(line: Self.stepStartedLine(step))
    }

    public func stepFinished(_ step: StepReport) {
        write(line: Self.stepFinishedLine(step))
    }

    public func eventReceived(_ event: EventReport) {
        write(line: Self.eventLine(event))
    }

    /// One line, written straight to bytes (no tree first): `{"type": type`,
    /// then `"member"` for a fleet member's line, then what `body` adds to
    /// the object, then `}` and the line break.
    static func line(_ type: String, member: String? = nil,
                     _ body: (inout JSONContainerWriter, inout [UInt8]) -> Void) -> [UInt8] {
        var bytes: [UInt8] = []
        // Room for a usual step's line at once, rather than growing to it by doubling.
        bytes.reserveCapacity(1024)
        var object = JSONContainerWriter(.object, indent: nil, level: 0, to: &bytes)
        object.member(Key.type, string: type, to: &bytes)
        if let member { object.member(Key.member, string: member, to: &bytes) }
        body(&object, &bytes)
        object.close(&bytes)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// The `step-started` line of `step` (also a fleet's, with its `member`).
    static func stepStartedLine(_ step: Step, member: String? = nil) -> [UInt8] {
        line("step-started", member: member) { object, bytes in
            object.start(Key.time, to: &bytes)
            bytes.append(UInt8(ascii: "\""))
            Timestamp.write(Date(), to: &bytes)
            bytes.append(UInt8(ascii: "\""))
            object.member(Key.index, int: step.index, to: &bytes)
            object.member(Key.id, string: step.id, to: &bytes)
            object.member(Key.name, string: step.name, to: &bytes)
            object.member(Key.target, string: step.target, to: &bytes)
            object.member(Key.phase, string: step.phase.rawValue, to: &bytes)
        }
    }

    /// The `step-finished` line of a step's report entry.
    static func stepFinishedLine(_ step: StepReport, member: String? = nil) -> [UInt8] {
        line("step-finished", member: member) { object, bytes in
            object.start(Key.step, to: &bytes)
            step.write(to: &bytes, indent: nil, level: object.memberLevel)
        }
    }

    /// The `event` line of an event received.
    static func eventLine(_ event: EventReport, member: String? = nil) -> [UInt8] {
        line("event", member: member) { object, bytes in
            object.start(Key.event, to: &bytes)
            event.write(to: &bytes, indent: nil, level: object.memberLevel)
        }
    }

    /// The keys of the lines, spelled out once.
    private enum Key {
        static let type = JSONKey("type")
        static let member = JSONKey("member")
        static let time = JSONKey("time")
        static let index = JSONKey("index")
        static let id = JSONKey("id")
        static let name = JSONKey("name")
        static let target = JSONKey("target")
        static let phase = JSONKey("phase")
        static let step = JSONKey("step")
        static let event = JSONKey("event")
    }

    /// Writes the final line with the whole report, and closes the file. The
    /// report is written straight to the file as it is made, 64 KiB at a
    /// time: its steps are copied from the run's spool without their
    /// whitespace, never held whole in memory.
    public func runFinished(_ report: RunReport) {
        state.withLock { state in
            guard state.fd >= 0, state.error == nil else { return }
            var output = ReportOutput(fd: state.fd)
            output.bytes.append(contentsOf: #"{"type":"report","report":"#.utf8)
            report.write(to: &output, indent: nil)
            output.bytes.append(contentsOf: "}\n".utf8)
            output.flush()
            if let error = output.error { state.error = writeError(error) }
        }
        close()
    }

    /// Writes one line. The first failure (a full disk, a closed pipe) is
    /// remembered (``outputErrors``, which the run reports: exit 3) and ends
    /// the stream: no later line is written, so the file never has a gap.
    public func write(_ value: JSONValue) {
        write(line: value.jsonBytes + [UInt8(ascii: "\n")])
    }

    /// Writes one line already made, its line break included; see ``write(_:)``.
    func write(line bytes: [UInt8]) {
        state.withLock { state in
            guard state.fd >= 0, state.error == nil else { return }
            if case .failure(let error) = System.writeAll(state.fd, bytes) { state.error = writeError(error) }
        }
    }

    private func writeError(_ error: SystemError) -> String {
        "cannot write \(path == ReportWriter.standardOutput ? "stdout" : path): \(error)"
    }

    /// Closes the file (not stdout); later writes are dropped.
    public func close() {
        state.withLock { state in
            if ownsDescriptor, state.fd >= 0 {
                if case .failure(let error) = System.close(state.fd), state.error == nil {
                    state.error = "cannot write \(path): \(error)"
                }
            }
            state.fd = -1
        }
    }
}
