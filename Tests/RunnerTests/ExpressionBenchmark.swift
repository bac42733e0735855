import Foundation
import Playbook
import QEMUTestSupport
import QMP
import Runner
import Testing

/// Not a test: what `${…}` expressions cost — loading and checking a
/// 10,000-step playbook with expressions against the same steps written
/// out, evaluating one expression, and a step with an expression against
/// the same step without. Runs only with QMPBOOK_BENCHMARK=1 (see
/// Docs/performance.md, "Expressions").
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["QMPBOOK_BENCHMARK"] != nil), .timeLimit(.minutes(10)))
struct ExpressionBenchmark {
    static let steps = Int(ProcessInfo.processInfo.environment["QMPBOOK_BENCHMARK_STEPS"] ?? "") ?? 10_000
    static let rounds = Int(ProcessInfo.processInfo.environment["QMPBOOK_BENCHMARK_ROUNDS"] ?? "") ?? 5

    /// A playbook of `steps` steps of five kinds; with `expressions`, every value that can be is a `${…}`
    /// (arithmetic, functions, comparisons, paths), else the same values written out.
    static func playbook(steps: Int, expressions: Bool) -> String {
        var yaml = """
            name: expression benchmark
            vars:
              base: 1073741824
              dev: tablet
              info: {json: {virtual-size: 67108864, format: qcow2}}
              drivers: [usb-kbd, usb-mouse, usb-tablet]
            targets:
              vm: {connect: unix:/nonexistent}
            steps:

            """
        for index in 0..<steps {
            switch (index % 5, expressions) {
            case (0, true):
                yaml += "  - execute: block_resize\n    arguments: {node-name: \"disk${\(index) % 4}\", size: \"${info.json.virtual-size + base}\"}\n"
            case (0, false):
                yaml += "  - execute: block_resize\n    arguments: {node-name: disk\(index % 4), size: 1140850688}\n"
            case (1, true):
                yaml += "  - when: \"${info.json.format == 'qcow2' and len(drivers) > 1}\"\n    log: \"step \(index): ${dev}${\(index) + 1}\"\n"
            case (1, false):
                yaml += "  - when: true\n    log: \"step \(index): tablet\(index + 1)\"\n"
            case (2, true):
                yaml += "  - set: {size-\(index): \"${max(info.json.virtual-size, base) // 1048576}\"}\n"
            case (2, false):
                yaml += "  - set: {size-\(index): 1024}\n"
            case (3, true):
                yaml += "  - assert: \"${drivers[\(index) % len(drivers)] in ['usb-kbd', 'usb-mouse', 'usb-tablet']}\"\n"
            case (3, false):
                yaml += "  - assert: true\n"
            case (_, true):
                yaml += "  - execute: device_add\n    arguments: {driver: \"${drivers[\(index) % 3]}\", id: \"${'dev' + str(\(index))}\"}\n"
            default:
                yaml += "  - execute: device_add\n    arguments: {driver: usb-kbd, id: dev\(index)}\n"
            }
        }
        return yaml
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    @Test func loadingAndCheckingWithAndWithoutExpressions() throws {
        var results: [Bool: [Double]] = [:]
        for expressions in [false, true] {
            let bytes = Array(Self.playbook(steps: Self.steps, expressions: expressions).utf8)
            _ = try PlaybookLoader.load(bytes: bytes, path: "bench.yaml", environment: [:]).get()
            for _ in 0..<Self.rounds {
                let start = ContinuousClock.now
                let loaded = PlaybookLoader.load(bytes: bytes, path: "bench.yaml", environment: [:])
                results[expressions, default: []].append(RunnerBenchmark.microseconds(ContinuousClock.now - start) / 1000)
                #expect((try? loaded.get())?.steps.count == Self.steps)
            }
        }
        let plain = Self.median(results[false] ?? [0]), computed = Self.median(results[true] ?? [0])
        print("""
            expression benchmark: load + check \(Self.steps) steps, median of \(Self.rounds)
              written out:       \(RunnerBenchmark.format(plain)) ms   rounds \((results[false] ?? []).map(RunnerBenchmark.format))
              with expressions:  \(RunnerBenchmark.format(computed)) ms   rounds \((results[true] ?? []).map(RunnerBenchmark.format))
              expressions cost:  \(RunnerBenchmark.format((computed / plain - 1) * 100)) %
            """)
    }

    @Test func evaluatingOneExpression() throws {
        var variables = Variables(vars: ["base": 1_073_741_824, "drivers": ["usb-kbd", "usb-mouse", "usb-tablet"]], environment: [:])
        variables.register("info", value: ["json": ["virtual-size": 67_108_864, "format": "qcow2"]])
        let samples: [(String, JSONValue)] = [
            ("path + arithmetic", "${info.json.virtual-size + base}"),
            ("comparison and len", "${info.json.format == 'qcow2' and len(drivers) > 1}"),
            ("text with two", "disk ${info.json.format} of ${info.json.virtual-size // 1048576} MiB"),
            ("map of three", ["driver": "${drivers[1]}", "id": "${'dev' + str(7)}", "bus": "xhci.0"]),
        ]
        let count = 100_000
        var lines: [String] = []
        for (name, value) in samples {
            _ = try Template.resolve(value, with: variables)
            var rounds: [Double] = []
            for _ in 0..<Self.rounds {
                let start = ContinuousClock.now
                for _ in 0..<count { _ = try Template.resolve(value, with: variables) }
                rounds.append(RunnerBenchmark.microseconds(ContinuousClock.now - start) / Double(count))
            }
            lines.append("  \(name): \(RunnerBenchmark.format(Self.median(rounds) * 1000)) ns   rounds \(rounds.map { RunnerBenchmark.format($0 * 1000) })")
        }
        print("expression benchmark: one resolve, median of \(Self.rounds) × \(count)\n" + lines.joined(separator: "\n"))
    }

    @Test func aStepWithAnExpressionAgainstOneWithout() async throws {
        let folder = try RunDirectory()
        defer { folder.remove() }
        var perStep: [Bool: [Double]] = [:]
        for expressions in [false, true] {
            var yaml = "name: log benchmark\nvars: {base: 1073741824, drivers: [a, b, c]}\ntargets:\n  vm: {connect: unix:/nonexistent}\nsteps:\n"
            for _ in 0..<Self.steps {
                yaml += expressions ? "  - log: \"${base + len(drivers) * 2}\"\n" : "  - log: \"1073741830\"\n"
            }
            let path = folder.file("log\(expressions).yaml")
            try yaml.write(toFile: path, atomically: false, encoding: .utf8)
            var playbook = try PlaybookLoader.load(path: path).get()
            playbook.targets = []
            for round in 0..<Self.rounds {
                var options = RunOptions()
                options.reportPath = folder.file("log\(expressions)\(round).json")
                let result = await PlaybookRunner(playbook: playbook, options: options).run()
                #expect(result.exitStatus == .passed)
                #expect(result.report.steps.last?.response == "1073741830")
                let first = try #require(result.report.steps.first?.started)
                let last = try #require(result.report.steps.last)
                let end = try #require(last.started).addingTimeInterval(RunnerBenchmark.seconds(try #require(last.duration)))
                perStep[expressions, default: []].append(end.timeIntervalSince(first) * 1e6 / Double(Self.steps))
            }
        }
        let plain = Self.median(perStep[false] ?? [0]), computed = Self.median(perStep[true] ?? [0])
        print("""
            expression benchmark: \(Self.steps) log steps run, median of \(Self.rounds)
              written out:        \(RunnerBenchmark.format(plain)) µs/step   rounds \((perStep[false] ?? []).map(RunnerBenchmark.format))
              with an expression: \(RunnerBenchmark.format(computed)) µs/step   rounds \((perStep[true] ?? []).map(RunnerBenchmark.format))
              the expression adds: \(RunnerBenchmark.format(computed - plain)) µs/step
            """)
    }
}
