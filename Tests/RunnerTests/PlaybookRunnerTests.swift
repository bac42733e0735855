import Foundation
import Glibc
import Playbook
import QEMUTestSupport
import QMP
import Testing
@testable import Runner

/// The runner in-process: what it leaves behind, and the checks before a run.
@Suite(.timeLimit(.minutes(2))) struct PlaybookRunnerTests {
    private func load(_ yaml: String, in folder: TemporaryDirectory) throws -> Playbook {
        let path = folder.file("book.yaml")
        try yaml.write(toFile: path, atomically: false, encoding: .utf8)
        return try PlaybookLoader.load(path: path).get()
    }

    private func quietOptions(_ folder: TemporaryDirectory) -> RunOptions {
        var options = RunOptions()
        options.reportPath = folder.file("report.json")
        return options
    }

    @Test func aRunLeavesNoDescriptorOrProcessBehind() async throws {
        let folder = try TemporaryDirectory(prefix: "runner")
        let playbook = try load("""
            name: hygiene
            targets:
              vm: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S]}
            steps:
              - {execute: add-fd, arguments: {fdset-id: 3}, fd: {path: passed.img, mode: read-write, create: true}}
              - {execute: getfd, arguments: {fdname: f}, fd: {path: passed.img, mode: read}}
              - {execute: cont}
              - {wait-event: RESUME}
            """, in: folder)
        let result = await PlaybookRunner(playbook: playbook, options: quietOptions(folder)).run()
        #expect(result.exitStatus == .passed)
        let runDirectory = try #require(result.report.targets.first?.address?.dropFirst("unix:".count))
            .split(separator: "/").dropLast().joined(separator: "/")
        #expect(OpenFileDescriptors.matching(folder.path).isEmpty)
        #expect(OpenFileDescriptors.matching("/" + runDirectory).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/" + runDirectory))
        let pid = try #require(result.report.targets.first?.process?.pid)
        #expect(kill(pid, 0) != 0)
        #expect(result.report.targets.first?.process?.exit == .exited(0))
    }

    /// Two runs in one process (a fleet's members): the end of one kills what
    /// its own commands left running, never a command of the other.
    @Test func aRunsEndLeavesAnotherRunsCommandsAlone() async throws {
        let folder = try TemporaryDirectory(prefix: "runner")
        func playbook(_ name: String, _ script: String) throws -> Playbook {
            let path = folder.file("\(name).yaml")
            try """
                name: \(name)
                targets:
                  vm: {launch: [qemu-system-x86_64, -M, none], autostart: false}
                steps:
                  - command: [sh, -c, '\(script)']
                """.write(toFile: path, atomically: false, encoding: .utf8)
            return try PlaybookLoader.load(path: path).get()
        }
        // The long one runs until told the short one has ended; the short one ends once the long one runs.
        let long = try playbook("long", "touch started; while [ ! -e short-ended ]; do sleep 0.05; done")
        let short = try playbook("short", "while [ ! -e started ]; do sleep 0.05; done")
        var longOptions = quietOptions(folder)
        longOptions.reportPath = folder.file("long.report.json")
        async let longRun = PlaybookRunner(playbook: long, options: longOptions).run()
        let shortRun = await PlaybookRunner(playbook: short, options: quietOptions(folder)).run()
        #expect(shortRun.exitStatus == .passed)
        try "".write(toFile: folder.file("short-ended"), atomically: false, encoding: .utf8)
        let result = await longRun
        #expect(result.exitStatus == .passed, "\(result.report.steps.first?.message ?? "")")
    }

    @Test func validationRejectsUnknownTargetsAndStartIDs() throws {
        let folder = try TemporaryDirectory(prefix: "runner")
        let playbook = try load("""
            name: checks
            targets:
              vm: {connect: unix:/nonexistent}
            steps:
              - {id: one, log: hello}
            """, in: folder)
        var options = RunOptions()
        options.targetOverrides = ["other": "unix:/x"]
        #expect(throws: RunnerError.self) { try PlaybookRunner.validate(playbook, options: options) }
        options.targetOverrides = ["vm": "ftp:nowhere"]
        #expect(throws: RunnerError.self) { try PlaybookRunner.validate(playbook, options: options) }
        options.targetOverrides = ["vm": "unix:/x"]
        options.startAt = "two"
        #expect(throws: RunnerError.self) { try PlaybookRunner.validate(playbook, options: options) }
        options.startAt = "one"
        try PlaybookRunner.validate(playbook, options: options)
    }

    @Test func theDefaultReportIsNamedAfterThePlaybook() {
        #expect(PlaybookRunner.defaultReportPath(for: "Playbooks/usb-hotplug.yaml") == "usb-hotplug.report.json")
        #expect(PlaybookRunner.defaultReportPath(for: "/x/book.yml") == "book.report.json")
        #expect(PlaybookRunner.defaultReportPath(for: "plain") == "plain.report.json")
    }

    @Test func aWaitOnAnotherTargetCanUseSinceAcrossTargets() async throws {
        let folder = try TemporaryDirectory(prefix: "runner")
        let playbook = try load("""
            name: two targets
            targets:
              a: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S]}
              b: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S]}
            steps:
              - {target: b, execute: cont}
              - {id: mark, target: a, execute: query-status}
              - {name: b resumed before the mark, target: b, wait-event: RESUME, since: mark, timeout: 300ms}
            """, in: folder)
        let result = await PlaybookRunner(playbook: playbook, options: quietOptions(folder)).run()
        #expect(result.exitStatus == .stepFailed)
        #expect(result.report.steps.map(\.status) == [.passed, .passed, .timeout])
        #expect(result.report.steps[2].message?.contains("no other events arrived") == true)
    }

    @Test func anObserverSeesEveryStepAndTheEndOfTheRunOnce() async throws {
        let folder = try TemporaryDirectory(prefix: "runner")
        let playbook = try load("""
            name: observed
            targets:
              vm: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S]}
            steps:
              - {name: status, execute: query-status}
              - {name: go, execute: cont}
              - {name: resumed, wait-event: RESUME}
              - {name: left out, log: never, tags: [other]}
            always:
              - {name: last look, execute: query-status}
            """, in: folder)
        var options = quietOptions(folder)
        options.skipTags = ["other"]
        let observer = RecordingObserver()
        let result = await PlaybookRunner(playbook: playbook, options: options, observers: [observer]).run()
        #expect(result.exitStatus == .passed)
        let calls = observer.calls
        #expect(calls.filter { $0.hasPrefix("started:") || $0.hasPrefix("finished:") } == [
            "started:status", "finished:status:passed", "started:go", "finished:go:passed",
            "started:resumed", "finished:resumed:passed", "started:last look", "finished:last look:passed",
        ])
        #expect(calls.filter { $0.hasPrefix("run:") } == ["run:passed"])
        #expect(calls.last == "run:passed")
        #expect(calls.contains("event:vm/RESUME"))
        #expect(calls.filter { $0.hasPrefix("request:") } == ["request:vm:query-status", "request:vm:cont", "request:vm:query-status"])
        #expect(calls.filter { $0.hasPrefix("reply:") }.count == 3)
        #expect(calls.contains { $0.hasPrefix("note:vm: QEMU ") })
        #expect(calls.contains("note:stopping 1 target:false"))
    }

    @Test func interruptEndsARunningRunWith130AfterItsAlwaysSteps() async throws {
        let folder = try TemporaryDirectory(prefix: "runner")
        let playbook = try load("""
            name: interrupted
            targets:
              vm: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S]}
            steps:
              - {name: wait for a shutdown that never comes, wait-event: SHUTDOWN, timeout: 60s}
              - {name: after, execute: query-status}
            always:
              - {name: last look, execute: query-status}
            """, in: folder)
        let (waiting, continuation) = AsyncStream<Void>.makeStream()
        let runner = PlaybookRunner(
            playbook: playbook, options: quietOptions(folder),
            observers: [StepStartTrigger(name: "wait for a shutdown that never comes", continuation: continuation)])
        let run = Task { await runner.run() }
        for await _ in waiting { break }
        runner.interrupt(signal: SIGINT)
        let result = await run.value
        #expect(result.exitStatus == .interrupted(signal: SIGINT))
        #expect(result.exitStatus.code == 130)
        #expect(result.report.outcome == .interrupted)
        #expect(result.report.message == "interrupted by SIGINT")
        #expect(result.report.jsonValue["exit_code"] == 130)
        #expect(result.report.steps.map(\.status) == [.error, .skipped, .passed])
        #expect(result.report.steps[0].message == "interrupted")
        let pid = try #require(result.report.targets.first?.process?.pid)
        #expect(kill(pid, 0) != 0)
    }

    @Test func aRunInterruptedBeforeItStartsRunsNoStep() async throws {
        let folder = try TemporaryDirectory(prefix: "runner")
        let playbook = try load("""
            name: early
            targets:
              vm: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S]}
            steps:
              - {name: never, execute: query-status}
            """, in: folder)
        let runner = PlaybookRunner(playbook: playbook, options: quietOptions(folder))
        runner.interrupt(signal: SIGTERM)
        let result = await runner.run()
        #expect(result.exitStatus == .interrupted(signal: SIGTERM))
        #expect(result.exitStatus.code == 143)
        #expect(result.report.message == "interrupted by SIGTERM")
        #expect(result.report.steps.map(\.status) == [.skipped])
    }
}

/// Says when the step named `name` starts.
private struct StepStartTrigger: RunObserver {
    let name: String
    let continuation: AsyncStream<Void>.Continuation

    func stepStarted(_ step: Step) {
        if step.name == name { continuation.yield() }
    }
}
