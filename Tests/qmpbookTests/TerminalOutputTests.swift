import Foundation
import QEMUTestSupport
import QMP
import Testing

/// What a terminal receives, through the built binary: names, log text and
/// QEMU's error texts never carry raw control characters, and on a real
/// terminal (a pty from util-linux `script`) the live line fits its width.
@Suite(.timeLimit(.minutes(2)))
struct TerminalOutputTests {
    @Test func controlCharactersInNamesAndTextsAreEscaped() async throws {
        let fixture = try RunFixture("""
            name: "title\\e]0;pwned\\a"
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - name: "bell\\a here"
                log: "escape \\e[2J gone"
              - execute: device_add
                arguments: {driver: "x\\e[31mred"}
            """)
        let outcome = try await fixture.run(["--no-preflight", "--color", "never"])
        #expect(outcome.status == 1)
        for output in [outcome.standardOutput, outcome.standardError] {
            #expect(!output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(output.debugDescription)")
        }
        #expect(outcome.standardOutput.contains("bell\\x07 here"), "\(outcome.standardOutput)")
        #expect(outcome.standardOutput.contains("escape \\x1b[2J gone"), "\(outcome.standardOutput)")
        #expect(outcome.standardError.contains("x\\x1b[31mred"), "\(outcome.standardError)")
        // The report keeps the text as it was.
        #expect(outcome.report.step("bell\u{07} here")?["response"] == "escape \u{1B}[2J gone")
    }

    @Test func theLiveLineFitsTheTerminalWidth() async throws {
        let fixture = try RunFixture("""
            name: wide
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - name: a step whose name is much longer than the forty columns of this terminal
                sleep: 300ms
            """)
        let command = "stty cols 40; exec '\(try Executables.qmpbook)' run '\(fixture.playbook)'"
            + " --report '\(fixture.reportPath)' --no-preflight --color never"
        let output = try await runProgram(
            "/usr/bin/script", ["-qec", command, "/dev/null"], environment: ["TERM": "xterm"])
        #expect(output.status == 0, "\(output.standardOutput)")
        // The live line follows "\r ESC[K" and ends at the next one (a finished
        // line, which ends in a line break, replaces it); it must fit in 40 columns.
        let live = output.standardOutput.components(separatedBy: "\r\u{1B}[K").dropFirst().filter { !$0.contains("\n") }
        #expect(!live.isEmpty, "\(output.standardOutput.debugDescription)")
        for line in live {
            #expect(line.count < 40, "\(line.debugDescription)")
        }
        #expect(live.contains { $0.hasSuffix("…") }, "\(live)")
    }

    /// The live line of a running step: its place among the top-level steps,
    /// the time it has run against its budget (redrawn as it runs), and the
    /// attempt of a step that polls with `until`.
    @Test func theLiveLineShowsPlaceElapsedTimeAndAttempts() async throws {
        let fixture = try RunFixture("""
            name: progress
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - log: first
              - name: poll until running
                execute: query-status
                until: {status: running}
                interval: 200ms
                timeout: 1s
                ignore-errors: true
              - sleep: 700ms
            """)
        let command = "stty cols 100; exec '\(try Executables.qmpbook)' run '\(fixture.playbook)'"
            + " --report '\(fixture.reportPath)' --no-preflight --color never"
        let output = try await runProgram(
            "/usr/bin/script", ["-qec", command, "/dev/null"], environment: ["TERM": "xterm"])
        #expect(output.status == 0, "\(output.standardOutput)")
        let live = output.standardOutput.components(separatedBy: "\r\u{1B}[K").dropFirst().filter { !$0.contains("\n") }
        #expect(live.contains { $0.contains("[1/3]  log  vm") }, "\(live)")
        #expect(live.contains { $0.contains("[2/3]  poll until running  vm") && $0.contains(" / 1s  attempt 3") }, "\(live)")
        // The sleep's line is redrawn while it runs: some elapsed time past zero against its 700ms.
        let sleeping = live.filter { $0.contains("[3/3]") && $0.hasSuffix(" / 700ms") }
        #expect(sleeping.contains { !$0.hasSuffix("  0ms / 700ms") }, "\(sleeping)")
        for line in live { #expect(line.count < 100, "\(line.debugDescription)") }
        // Piped, the same run writes finished lines only (no counter, no live line).
        let piped = try await runProgram(try Executables.qmpbook, [
            "run", fixture.playbook, "--report", fixture.reportPath, "--no-preflight", "--color", "never"])
        #expect(!piped.standardOutput.contains("\u{1B}[K") && !piped.standardOutput.contains("[1/3]"), "\(piped.standardOutput)")
    }
}
