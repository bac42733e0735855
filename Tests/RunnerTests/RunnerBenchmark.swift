import Foundation
import Playbook
import QEMUTestSupport
import QMP
import Runner
import Testing

/// Not a test: the runner's cost per step against the engine's own round
/// trip, on one launched QEMU. Runs only with QMPBOOK_BENCHMARK=1 (see
/// Docs/performance.md for how and what it measured).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["QMPBOOK_BENCHMARK"] != nil), .timeLimit(.minutes(10)))
struct RunnerBenchmark {
    static let steps = Int(ProcessInfo.processInfo.environment["QMPBOOK_BENCHMARK_STEPS"] ?? "") ?? 10_000
    static let rounds = Int(ProcessInfo.processInfo.environment["QMPBOOK_BENCHMARK_ROUNDS"] ?? "") ?? 3

    @Test func runnerOverheadPerStep() async throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        let playbookPath = folder.file("bench.yaml")
        var yaml = """
            name: query-status benchmark
            targets:
              vm: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S]}
            steps:

            """
        for _ in 0..<Self.steps { yaml += "  - execute: query-status\n" }
        try yaml.write(toFile: playbookPath, atomically: false, encoding: .utf8)
        let playbook = try PlaybookLoader.load(path: playbookPath).get()

        var engineRuns: [Double] = []
        var runnerRuns: [Double] = []
        var stepMedians: [Double] = []
        var wholeRuns: [Double] = []
        for round in 0..<Self.rounds {
            // The engine alone: N sequential round trips on one connection.
            let socket = folder.file("engine\(round).qmp")
            let qemu = try await LaunchedProcess.launch(
                ["qemu-system-x86_64", "-M", "pc", "-nodefaults", "-display", "none", "-S",
                 "-qmp", "unix:\(socket),server=on,wait=off"], outputPath: folder.file("engine\(round).log"))
            var monitor: SocketMonitor?
            for _ in 0..<400 where monitor == nil {
                monitor = try? await SocketMonitor.dial(.unix(path: socket), timeout: .seconds(1))
                if monitor == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            let engine = try #require(monitor)
            _ = try await engine.connect(timeout: testHandshakeTimeout)
            for _ in 0..<200 { _ = try await engine.request("query-status") }
            let clock = ContinuousClock()
            let engineStart = clock.now
            for _ in 0..<Self.steps { _ = try await engine.request("query-status") }
            let engineTime = clock.now - engineStart
            await qemu.stop(quit: { _ = try? await engine.request("quit") })
            await engine.disconnect()
            engineRuns.append(Self.microseconds(engineTime) / Double(Self.steps))

            // The runner: the same commands as playbook steps, report written.
            var options = RunOptions()
            options.reportPath = folder.file("report\(round).json")
            let wholeStart = clock.now
            let result = await PlaybookRunner(playbook: playbook, options: options).run()
            let whole = clock.now - wholeStart
            #expect(result.exitStatus == .passed)
            let steps = result.report.steps
            let first = try #require(steps.first?.started)
            let last = try #require(steps.last)
            let end = try #require(last.started).addingTimeInterval(Self.seconds(try #require(last.duration)))
            runnerRuns.append(end.timeIntervalSince(first) * 1e6 / Double(Self.steps))
            let durations = steps.compactMap(\.duration).map(Self.microseconds).sorted()
            stepMedians.append(durations[durations.count / 2])
            wholeRuns.append(Self.microseconds(whole) / Double(Self.steps))
        }
        // The runner alone: steps that send nothing (`log`), so only its own bookkeeping is timed.
        var logYAML = "name: log benchmark\ntargets:\n  vm: {connect: unix:/nonexistent}\nsteps:\n"
        for _ in 0..<Self.steps { logYAML += "  - log: hello\n" }
        let logPath = folder.file("log.yaml")
        try logYAML.write(toFile: logPath, atomically: false, encoding: .utf8)
        var logPlaybook = try PlaybookLoader.load(path: logPath).get()
        logPlaybook.targets = []
        var bookkeeping: [Double] = []
        for round in 0..<Self.rounds {
            var options = RunOptions()
            options.reportPath = folder.file("log\(round).json")
            let result = await PlaybookRunner(playbook: logPlaybook, options: options).run()
            #expect(result.exitStatus == .passed)
            let first = try #require(result.report.steps.first?.started)
            let last = try #require(result.report.steps.last)
            let end = try #require(last.started).addingTimeInterval(Self.seconds(try #require(last.duration)))
            bookkeeping.append(end.timeIntervalSince(first) * 1e6 / Double(Self.steps))
        }

        let engine = engineRuns.sorted()[engineRuns.count / 2]
        let runner = runnerRuns.sorted()[runnerRuns.count / 2]
        print("""
            runner benchmark: \(Self.steps) query-status steps, \(Self.rounds) rounds (median of rounds)
              engine round trip:          \(Self.format(engine)) µs/command   rounds \(engineRuns.map(Self.format))
              runner, main steps:         \(Self.format(runner)) µs/step      rounds \(runnerRuns.map(Self.format))
              runner, median step:        \(Self.format(stepMedians.sorted()[stepMedians.count / 2])) µs
              runner, whole run:          \(Self.format(wholeRuns.sorted()[wholeRuns.count / 2])) µs/step (QEMU start, stop, report)
              runner adds per step:       \(Self.format((runner / engine - 1) * 100)) %
              runner alone (log steps):   \(Self.format(bookkeeping.sorted()[bookkeeping.count / 2])) µs/step   rounds \(bookkeeping.map(Self.format))
            """)
    }

    static func microseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    }

    static func seconds(_ duration: Duration) -> Double { microseconds(duration) / 1e6 }

    static func format(_ value: Double) -> String { String((value * 10).rounded() / 10) }
}
