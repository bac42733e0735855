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
        write(.object(Self.stepStartedLine(step)))
    }

    public func stepFinished(_ step: StepReport) {
        write(.object(Self.stepFinishedLine(step)))
    }

    public func eventReceived(_ event: EventReport) {
        write(.object(Self.eventLine(event)))
    }

    /// The `step-started` line of `step` (also a fleet's, with its member added).
    static func stepStartedLine(_ step: Step) -> JSONObject {
        [
            "type": "step-started", "time": .string(Timestamp.string(Date())), "index": .int(Int64(step.index)),
            "id": step.id.map(JSONValue.string) ?? .null, "name": .string(step.name),
            "target": step.target.map(JSONValue.string) ?? .null, "phase": .string(step.phase.rawValue),
        ]
    }

    /// The `step-finished` line of a step's report entry.
    static func stepFinishedLine(_ step: StepReport) -> JSONObject {
        ["type": "step-finished", "step": step.jsonValue]
    }

    /// The `event` line of an event received.
    static func eventLine(_ event: EventReport) -> JSONObject {
        ["type": "event", "event": event.jsonValue]
    }

    /// Writes the final line with the whole report, and closes the file.
    public func runFinished(_ report: RunReport) {
        write(["type": "report", "report": report.jsonValue])
        close()
    }

    /// Writes one line. The first failure (a full disk, a closed pipe) is
    /// remembered (``outputErrors``, which the run reports: exit 3) and ends
    /// the stream: no later line is written, so the file never has a gap.
    public func write(_ value: JSONValue) {
        let bytes = value.jsonBytes + [UInt8(ascii: "\n")]
        state.withLock { state in
            guard state.fd >= 0, state.error == nil else { return }
            if case .failure(let error) = System.writeAll(state.fd, bytes) {
                let what = path == ReportWriter.standardOutput ? "stdout" : path
                state.error = "cannot write \(what): \(error)"
            }
        }
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
