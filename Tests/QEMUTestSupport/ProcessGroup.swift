import Foundation

/// Who is in a process group, read from `/proc`, for checks that a test's
/// own children are gone. Looks only at the group asked about, never at
/// processes machine-wide by name.
public enum ProcessGroup {
    /// What `/proc/PID/stat` says of a process: its state letter and process group.
    public struct State: Sendable {
        public var state: Character
        public var group: Int32
    }

    /// The state of `pid`, or nil when there is no such process.
    public static func state(of pid: Int32) -> State? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After "PID (NAME) ": state, ppid, pgrp, …
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let state = fields[0].first, let group = Int32(fields[2]) else { return nil }
        return State(state: state, group: group)
    }

    /// The pids in process group `group` that are not zombies.
    public static func liveMembers(of group: Int32) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap(Int32.init).filter { pid in
            guard let state = state(of: pid) else { return false }
            return state.group == group && state.state != "Z"
        }
    }
}
