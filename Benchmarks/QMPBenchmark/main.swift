// The benchmark client for qmpbook's engine: the same workloads as
// Benchmarks/qmp/raw_client.c, through QMP.SocketMonitor.
//
//   qmp-bench [--reader-executor] [--oob] SOCKET WORKLOAD COUNT
//
// Workloads: roundtrip, schema, event, getfd, sequential, concurrent.
// Prints one JSON object in the shape compare.py reads. With
// --reader-executor the workload runs with the connection's executor as
// its task executor preference (callers resume on the reader thread);
// without it, on the cooperative pool, as a library user's code would.
// With --oob the handshake enables the `oob` capability, as qemu.qmp does
// whenever QEMU offers it: QEMU then queues up to 8 commands instead of
// reading one at a time.

import Foundation
import QMP

let flags: Set = ["--reader-executor", "--oob"]
let given = Set(CommandLine.arguments.dropFirst().filter { $0.hasPrefix("--") })
let arguments = CommandLine.arguments.filter { !flags.contains($0) }
let onReader = given.contains("--reader-executor")
let capabilities = given.contains("--oob") ? ["oob"] : []
guard given.isSubset(of: flags), arguments.count == 4, let count = Int(arguments[3]), count > 0 else {
    FileHandle.standardError.write(Data("usage: qmp-bench [--reader-executor] [--oob] SOCKET WORKLOAD COUNT\n".utf8))
    exit(2)
}
let socketPath = arguments[1]
let workload = arguments[2]

/// Nanoseconds on the monotonic clock.
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func report(_ workload: String, _ samples: [UInt64], wall: UInt64? = nil) {
    let sorted = samples.sorted()
    let total = wall ?? sorted.reduce(0, +)
    let seconds = Double(total) / 1e9
    let result: JSONValue = [
        "client": .string((onReader ? "qmpbook-reader" : "qmpbook") + (capabilities.isEmpty ? "" : "+oob")),
        "workload": .string(workload),
        "count": .int(Int64(sorted.count)),
        "seconds": .double(seconds),
        "ops_per_sec": .double(Double(sorted.count) / seconds),
        "p50_us": .double(Double(sorted[sorted.count / 2]) / 1e3),
        "p99_us": .double(Double(sorted[Int(Double(sorted.count) * 0.99)]) / 1e3),
        "mean_us": .double(Double(total) / 1e3 / Double(sorted.count)),
    ]
    print(result.jsonText)
}

/// The workloads. A nonisolated function, so its awaits run on the
/// cooperative pool: top-level code would run on the main actor and add a
/// hop to the main thread and back to every command, which is the
/// benchmark's cost, not the engine's.
func runWorkload(socketPath: String, workload: String, count: Int, onReader: Bool) async throws {
    let monitor = try await SocketMonitor.dial(.unix(path: socketPath), timeout: .seconds(5))
    _ = try await monitor.connect(capabilities: capabilities, timeout: .seconds(5))
    if onReader {
        try await withTaskExecutorPreference(monitor.executor) {
            try await run(workload, count: count, on: monitor)
        }
    } else {
        try await run(workload, count: count, on: monitor)
    }
    await monitor.disconnect()
}

func run(_ workload: String, count: Int, on monitor: SocketMonitor) async throws {
    var samples: [UInt64] = []
    samples.reserveCapacity(count)
    switch workload {
    case "roundtrip", "sequential":
        let begin = now()
        for _ in 0..<count {
            let start = now()
            _ = try await monitor.execute("query-status")
            samples.append(now() - start)
        }
        report(workload, samples, wall: workload == "sequential" ? now() - begin : nil)
    case "concurrent":
        // 8 tasks share the commands; the figure is the wall time for all of them.
        let tasks = 8
        let begin = now()
        let perTask = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for task in 0..<tasks {
                let share = count / tasks + (task < count % tasks ? 1 : 0)
                group.addTask {
                    var mine: [UInt64] = []
                    for _ in 0..<share {
                        let start = now()
                        _ = try await monitor.execute("query-status")
                        mine.append(now() - start)
                    }
                    return mine
                }
            }
            var all: [UInt64] = []
            for try await part in group { all += part }
            return all
        }
        report(workload, perTask, wall: now() - begin)
    case "schema":
        for _ in 0..<count {
            let start = now()
            let schema = try await monitor.execute("query-qmp-schema")
            precondition((schema.arrayValue?.count ?? 0) > 1000)
            // Freeing the tree is not part of the time, as in the Python
            // clients, which drop the previous reply after their clock stops.
            withExtendedLifetime(schema) { samples.append(now() - start) }
        }
        report(workload, samples)
    case "event":
        let events = monitor.events()
        for _ in 0..<count {
            _ = try await monitor.execute("cont")
            while let event = try await events.next(timeout: .seconds(5)), event.name != "RESUME" {}
            // Like the C client, time from sending `stop` to holding the STOP
            // event, not to the reply QEMU sends after it: a child task waits
            // for the event while this one sends the command.
            async let stopped: UInt64 = {
                while let event = try await events.next(timeout: .seconds(5)), event.name != "STOP" {}
                return now()
            }()
            let start = now()
            _ = try await monitor.execute("stop")
            samples.append(try await stopped - start)
        }
        report(workload, samples)
    case "getfd":
        let fd = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(fd) }
        for _ in 0..<count {
            let start = now()
            _ = try await monitor.execute("getfd", arguments: ["fdname": "bench"], passing: fd)
            samples.append(now() - start)
        }
        report(workload, samples)
    default:
        FileHandle.standardError.write(Data("unknown workload \(workload)\n".utf8))
        exit(2)
    }
}

do {
    try await runWorkload(socketPath: socketPath, workload: workload, count: count, onReader: onReader)
} catch {
    FileHandle.standardError.write(Data("qmp-bench: \(error)\n".utf8))
    exit(1)
}
