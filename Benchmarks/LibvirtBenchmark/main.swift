// The benchmark client for qmpbook's libvirt engine: sequential
// `query-status` round trips through LibvirtMonitor (libvirt loaded with
// dlopen, each call on a thread of its own), the workload of
// Benchmarks/libvirt/raw_libvirt.c.
//
//   libvirt-bench URI DOMAIN COUNT
//
// Prints one JSON object in the shape Benchmarks/libvirt/compare.py reads.

import Foundation
import Libvirt
import QMP

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]), count > 0 else {
    FileHandle.standardError.write(Data("usage: libvirt-bench URI DOMAIN COUNT\n".utf8))
    exit(2)
}

/// Nanoseconds on the monotonic clock.
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// A nonisolated function, so its awaits run on the cooperative pool (not
/// the main actor), as a library user's code would.
func roundTrips(uri: String, domain: String, count: Int) async throws -> [UInt64] {
    let monitor = try await LibvirtMonitor.open(uri: LibvirtURI(uri), domain: .existing(domain), timeout: .seconds(30))
    _ = try await monitor.connect(timeout: .seconds(30))
    var samples: [UInt64] = []
    samples.reserveCapacity(count)
    for _ in 0..<count {
        let start = now()
        _ = try await monitor.execute("query-status")
        samples.append(now() - start)
    }
    await monitor.disconnect()
    return samples
}

do {
    let samples = try await roundTrips(uri: arguments[1], domain: arguments[2], count: count).sorted()
    let total = samples.reduce(0, +)
    let seconds = Double(total) / 1e9
    let result: JSONValue = [
        "client": "qmpbook-libvirt", "workload": "roundtrip", "count": .int(Int64(count)),
        "seconds": .double(seconds), "ops_per_sec": .double(Double(count) / seconds),
        "p50_us": .double(Double(samples[count / 2]) / 1e3),
        "p99_us": .double(Double(samples[Int(Double(count) * 0.99)]) / 1e3),
        "mean_us": .double(Double(total) / 1e3 / Double(count)),
    ]
    print(result.jsonText)
} catch {
    FileHandle.standardError.write(Data("libvirt-bench: \(error)\n".utf8))
    exit(1)
}
