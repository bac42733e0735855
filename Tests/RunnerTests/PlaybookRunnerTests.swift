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
}
