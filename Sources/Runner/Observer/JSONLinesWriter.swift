import Foundation
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
    private let fd: Mutex<Int32>
    private let ownsDescriptor: Bool

    /// Opens `path` for writing (truncating it), or stdout for `-`.
    /// - Throws: ``RunnerError`` (infrastructure) when the file cannot be opened.
    public init(path: String) throws(RunnerError) {
        if path == ReportWriter.standardOutput {
            fd = Mutex(1)
            ownsDescriptor = false
        } else {
            switch System.open(path, [.writeOnly, .create, .truncate], permissions: 0o644) {
            case .success(let opened): fd = Mutex(opened)
            case .failure(let error): throw RunnerError(.infrastructure, "cannot open \(path): \(error)")
            }
            ownsDescriptor = true
        }
    }

    deinit {
        close()
    }

    public func stepStarted(_ step: Step) {
        write([
            "type": "step-started", "time": .string(Timestamp.string(Date())), "index": .int(Int64(step.index)),
            "id": step.id.map(JSONValue.string) ?? .null, "name": .string(step.name),
            "target": step.target.map(JSONValue.string) ?? .null, "phase": .string(step.phase.rawValue),
        ])
    }

    public func stepFinished(_ step: StepReport) {
        write(["type": "step-finished", "step": step.jsonValue])
    }

    public func eventReceived(_ event: EventReport) {
        write(["type": "event", "event": event.jsonValue])
    }

    /// Writes the final line with the whole report, and closes the file.
    public func runFinished(_ report: RunReport) {
        write(["type": "report", "report": report.jsonValue])
        close()
    }

    /// Writes one line; output errors are ignored (the report is what must be written).
    public func write(_ value: JSONValue) {
        let bytes = value.jsonBytes + [UInt8(ascii: "\n")]
        fd.withLock { fd in
            guard fd >= 0 else { return }
            _ = System.writeAll(fd, bytes)
        }
    }

    /// Closes the file (not stdout); later writes are dropped.
    public func close() {
        fd.withLock { fd in
            if ownsDescriptor, fd >= 0 { System.close(fd) }
            fd = -1
        }
    }
}
