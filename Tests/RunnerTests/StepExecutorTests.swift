import Foundation
import Glibc
import Playbook
import QEMUTestSupport
import QMP
import Synchronization
import Testing
@testable import Runner

/// Where the steps run (``PlaybookRunner/Setup/stepExecutor``): on the
/// reader thread of a one-target run's QMP socket, on the cooperative pool
/// with several targets; a step that waits on a timer or restarts the target
/// still works there.
@Suite(.timeLimit(.minutes(2))) struct StepExecutorTests {
    /// The thread each reply of a run reached the observer on, by target.
    private final class ReplyThreads: RunObserver {
        struct Reply {
            var target: String
            var thread: UInt
            var name: String
        }

        private let replies = Mutex<[Reply]>([])
        var all: [Reply] { replies.withLock { $0 } }

        func replyReceived(_ reply: JSONValue, target: String) {
            let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            let name = comm.trimmingCharacters(in: .whitespacesAndNewlines)
            let reply = Reply(target: target, thread: UInt(pthread_self()), name: name)
            replies.withLock { $0.append(reply) }
        }
    }

    private static let qemu = "[qemu-system-x86_64, -M, none, -nodefaults, -display, none]"

    private func run(_ yaml: String) async throws -> (PlaybookRunner.Result, [ReplyThreads.Reply]) {
        let folder = try TemporaryDirectory(prefix: "step-executor")
        let path = folder.file("book.yaml")
        try yaml.write(toFile: path, atomically: false, encoding: .utf8)
        let playbook = try PlaybookLoader.load(path: path).get()
        var options = RunOptions()
        options.reportPath = folder.file("report.json")
        let observer = ReplyThreads()
        let result = await PlaybookRunner(playbook: playbook, options: options, observers: [observer]).run()
        return (result, observer.all)
    }

    @Test func aOneTargetRunsStepsRunOnItsReaderThreadAndGoOnAfterARestart() async throws {
        let (result, replies) = try await run("""
            name: one target
            targets:
              vm: {launch: \(Self.qemu)}
            steps:
              - execute: query-status
              - sleep: 20ms
              - execute: query-status
              - {wait-event: RESET, timeout: 50ms, ignore-errors: true}
              - execute: query-status
              - stop: vm
              - start: vm
              - execute: query-status
            """)
        #expect(result.exitStatus == .passed, "\(result.report.steps.map { $0.message ?? "" })")
        #expect(replies.count == 4)
        let beforeStop = replies.prefix(3)
        #expect(beforeStop.allSatisfy { $0.name == "qmp-reader" }, "\(replies)")
        #expect(Set(beforeStop.map(\.thread)).count == 1, "\(replies)")
    }

    @Test func aRunOfTwoTargetsRunsItsStepsOnThePool() async throws {
        let (result, replies) = try await run("""
            name: two targets
            targets:
              a: {launch: \(Self.qemu)}
              b: {launch: \(Self.qemu)}
            steps:
              - {execute: query-status, target: a}
              - {execute: query-status, target: b}
            """)
        #expect(result.exitStatus == .passed, "\(result.report.steps.map { $0.message ?? "" })")
        #expect(replies.map(\.target) == ["a", "b"])
        #expect(replies.allSatisfy { $0.name != "qmp-reader" }, "\(replies)")
    }
}
