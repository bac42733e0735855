import Foundation
import Playbook
import QEMUTestSupport
import QMP
import Synchronization
import Testing
@testable import Runner

/// Step semantics through the `Monitor` protocol, in process: the steps of a
/// playbook run against an ``InMemoryMonitor`` whose replies and events a
/// script decides. No QEMU, no sockets, no sleeps in the tests.
@Suite struct StepActionTests {
    /// Runs the main steps of a playbook whose one target, `vm`, is `monitor`.
    private func run(_ steps: String, on monitor: InMemoryMonitor) async throws -> [StepReport] {
        let yaml = """
            name: in-process
            targets:
              vm: {connect: unix:/nonexistent/qmp.sock}
            steps:
            \(steps)
            """
        let playbook = try PlaybookLoader.load(bytes: Array(yaml.utf8), path: "/tmp/in-process.yaml").get()
        let opening = await TargetSession.attach(
            name: "vm", monitor: monitor, report: TargetReport(name: "vm", mode: .connect),
            deadline: .now + .seconds(10))
        let target = try #require(opening.session)
        let registry = TargetRegistry(targets: playbook.targets, reports: [], grace: .zero) { spec, _, _ in
            TargetSession.Opening(session: nil, report: TargetReport(name: spec.name, mode: spec.kind))
        }
        await registry.adopt(plans: [:], openings: [opening], started: Date())
        let session = RunSession(
            playbook: playbook, options: RunOptions(), registry: registry,
            variables: Variables(vars: playbook.vars), observer: MultiplexRunObserver([]))
        _ = await session.runMain(deadline: nil, deadlineText: "")
        await target.close(grace: .zero)
        return Array(await session.steps)
    }

    @Test func expectReturnPassesOnAMatchAndNamesTheKeyThatDiffered() async throws {
        let monitor = InMemoryMonitor { _, _ in .success(["status": "paused", "running": false]) }
        let steps = try await run("""
              - execute: query-status
                expect: {return: {status: paused}}
              - execute: query-status
                expect: {return: {status: running}}
            """, on: monitor)
        #expect(steps[0].status == .passed)
        #expect(steps[1].status == .failed)
        let message = try #require(steps[1].message)
        #expect(message.contains("does not match expect.return"), "\(message)")
        #expect(message.contains("status"), "\(message)")
        #expect(message.contains("paused"), "\(message)")
    }

    @Test func expectErrorPassesOnTheErrorAndAnUnexpectedErrorFails() async throws {
        let monitor = InMemoryMonitor { _, request in
            request.command == "device_del"
                ? .failure(QMPErrorReply(errorClass: "DeviceNotFound", description: "Device 'nope' not found"))
                : .success([:])
        }
        let steps = try await run("""
              - execute: device_del
                arguments: {id: nope}
                expect: {error: {class: DeviceNotFound}}
              - execute: device_del
                arguments: {id: nope}
            """, on: monitor)
        #expect(steps[0].status == .passed)
        #expect(steps[1].status == .failed)
        #expect(steps[1].message == "device_del failed: DeviceNotFound: Device 'nope' not found")
    }

    @Test func expectErrorFailsWhenTheCommandSucceeds() async throws {
        let steps = try await run("""
              - execute: stop
                expect: {error: {class: GenericError}}
            """, on: InMemoryMonitor())
        #expect(steps[0].status == .failed)
        #expect(steps[0].message?.hasPrefix("stop succeeded, but expect.error wanted an error matching") == true)
    }

    @Test func untilPollsUntilTheReturnMatchesAndCountsItsAttempts() async throws {
        let calls = Mutex(0)
        let monitor = InMemoryMonitor { _, _ in
            let call = calls.withLock { count -> Int in
                count += 1
                return count
            }
            return .success(["status": call < 3 ? "inmigrate" : "running"])
        }
        let steps = try await run("""
              - execute: query-status
                until: {status: running}
                interval: 1ms
            """, on: monitor)
        #expect(steps[0].status == .passed)
        #expect(steps[0].attempts == 3)
        #expect(monitor.requests.count == 3)
        #expect(steps[0].response == ["return": ["status": "running"]])
    }

    @Test func registerHandsTheReplyToLaterSteps() async throws {
        let monitor = InMemoryMonitor { _, request in
            request.command == "query-block" ? .success([["device": "disk0"]]) : .success([:])
        }
        let steps = try await run("""
              - execute: query-block
                register: blocks
              - execute: block_resize
                arguments: {device: "${blocks.return.0.device}", size: 1024}
            """, on: monitor)
        #expect(steps.map(\.status) == [.passed, .passed])
        let resize = try #require(monitor.requests.last)
        #expect(resize.command == "block_resize")
        #expect(resize.arguments == ["device": "disk0", "size": 1024])
    }

    @Test func sinceTakesOnlyEventsAfterThatStepSentItsCommand() async throws {
        let stops = Mutex(0)
        let monitor = InMemoryMonitor { monitor, request in
            if request.command == "stop" {
                let count = stops.withLock { count -> Int in
                    count += 1
                    return count
                }
                monitor.emit(name: "STOP", data: ["n": .int(Int64(count))])
            }
            return .success([:])
        }
        let steps = try await run("""
              - execute: stop
              - id: second
                execute: stop
              - wait-event: STOP
                since: second
                register: late
              - wait-event: STOP
                register: early
            """, on: monitor)
        #expect(steps.map(\.status) == [.passed, .passed, .passed, .passed])
        #expect(steps[2].event?.objectValue?["data"] == ["n": 2])
        // The first STOP was not taken by the `since` wait: the next plain wait gets it.
        #expect(steps[3].event?.objectValue?["data"] == ["n": 1])
    }

    @Test func aWaitForSeveralNamesTakesWhicheverComesFirst() async throws {
        let monitor = InMemoryMonitor { monitor, request in
            if request.command == "system_powerdown" { monitor.emit(name: "POWERDOWN") }
            return .success([:])
        }
        let steps = try await run("""
              - execute: system_powerdown
              - wait-event: [SHUTDOWN, POWERDOWN]
            """, on: monitor)
        #expect(steps[1].status == .passed)
        #expect(steps[1].event?.objectValue?["event"] == "POWERDOWN")
    }

    @Test func redactHidesArgumentsRepliesAndValuesInMessages() async throws {
        let monitor = InMemoryMonitor { _, _ in .success(["secret": "hunter2"]) }
        let steps = try await run("""
              - execute: set_password
                arguments: {protocol: vnc, password: hunter2}
                expect: {return: {secret: other}}
                redact: true
            """, on: monitor)
        #expect(steps[0].status == .failed)
        #expect(steps[0].message == "set_password returned a value that does not match expect.return")
        #expect(steps[0].request?.objectValue?["arguments"] == StepReport.redacted)
        #expect(steps[0].response == StepReport.redacted)
        // The command itself went out with the real password.
        #expect(monitor.requests[0].arguments?["password"] == "hunter2")
    }

    @Test func aStepOnALostTargetIsAnErrorNamingTheTarget() async throws {
        let monitor = InMemoryMonitor { monitor, request in
            if request.command == "system_reset" { monitor.close(reason: .connectionClosed("the peer went away")) }
            return .success([:])
        }
        let steps = try await run("""
              - execute: system_reset
              - execute: query-status
            """, on: monitor)
        #expect(steps[0].status == .passed)
        #expect(steps[1].status == .error)
        #expect(steps[1].message?.hasPrefix("target vm was lost during query-status") == true, "\(steps[1].message ?? "")")
    }

    @Test func afterQuitTheTargetIsClosedNotLost() async throws {
        let monitor = InMemoryMonitor { monitor, request in
            if request.command == "quit" { monitor.close(reason: .connectionClosed("the peer went away")) }
            return .success([:])
        }
        let steps = try await run("""
              - execute: quit
              - execute: query-status
            """, on: monitor)
        #expect(steps[0].status == .passed)
        #expect(steps[1].status == .failed)
        #expect(steps[1].message == "target vm is not started: step 'quit' (line 5) told its QEMU to quit; a start step opens it",
                "\(steps[1].message ?? "")")
    }
}
