// The benchmark client for qmpbook's engine: the same workloads as
// Benchmarks/qmp/raw_client.c, through QMP.SocketMonitor.
//
//   qmp-bench SOCKET WORKLOAD COUNT
//
// Workloads: roundtrip, schema, event, getfd, sequential, concurrent.
// Prints one JSON object in the shape compare.py reads.

import Foundation
import QMP

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]), count > 0 else {
    FileHandle.standardError.write(Data("usage: qmp-bench SOCKET WORKLOAD COUNT\n".utf8))
    exit(2)
}
let socketPath = arguments[1]
let workload = arguments[2]

/// Nanoseconds on the monotonic clock.
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func report(_ samples: [UInt64], wall: UInt64? = nil) {
    let sorted = samples.sorted()
    let total = wall ?? sorted.reduce(0, +)
    let seconds = Double(total) / 1e9
    let result: JSONValue = [
        "client": "qmpbook",
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

do {
    let monitor = try await SocketMonitor.dial(.unix(path: socketPath), timeout: .seconds(5))
    _ = try await monitor.connect(timeout: .seconds(5))
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
        report(samples, wall: workload == "sequential" ? now() - begin : nil)
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
        report(perTask, wall: now() - begin)
    case "schema":
        for _ in 0..<count {
            let start = now()
            let schema = try await monitor.execute("query-qmp-schema")
            precondition((schema.arrayValue?.count ?? 0) > 1000)
            samples.append(now() - start)
        }
        report(samples)
    case "event":
        let events = monitor.events()
        for _ in 0..<count {
            _ = try await monitor.execute("cont")
            while let event = try await events.next(timeout: .seconds(5)), event.name != "RESUME" {}
            let start = now()
            _ = try await monitor.execute("stop")
            while let event = try await events.next(timeout: .seconds(5)), event.name != "STOP" {}
            samples.append(now() - start)
        }
        report(samples)
    case "getfd":
        let fd = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(fd) }
        for _ in 0..<count {
            let start = now()
            _ = try await monitor.execute("getfd", arguments: ["fdname": "bench"], passing: fd)
            samples.append(now() - start)
        }
        report(samples)
    default:
        FileHandle.standardError.write(Data("unknown workload \(workload)\n".utf8))
        exit(2)
    }
    await monitor.disconnect()
} catch {
    FileHandle.standardError.write(Data("qmp-bench: \(error)\n".utf8))
    exit(1)
}
