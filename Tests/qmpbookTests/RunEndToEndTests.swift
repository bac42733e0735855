import Foundation
import FoundationXML
import QEMUTestSupport
import QMP
import Testing

/// `qmpbook run` against QEMUs it launches itself, through the built binary.
@Suite(.timeLimit(.minutes(2))) struct RunEndToEndTests {
    @Test func theUSBHotplugPlaybookPasses() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let fixture = try RunFixture("name: unused\n")
        let output = try await runProgram(
            try Executables.qmpbook,
            ["run", repository.appendingPathComponent("Playbooks/usb-hotplug.yaml").path,
             "--report", fixture.reportPath, "--color", "never"])
        #expect(output.status == 0, "\(output.standardError)")
        let report = try fixture.readReport()
        #expect(report["outcome"] == "passed")
        let wait = try #require(report.step("QEMU confirms the removal"))
        #expect(wait["event"]?["event"] == "DEVICE_DELETED")
        #expect(wait["event"]?["data"]?["device"] == "tablet0")
        #expect(output.standardOutput.contains("PASS   QEMU confirms the removal  vm"))
        for pid in report.launchedPIDs { #expect(!processExists(pid)) }
    }

    @Test func lifecycleEventsAreWaitedForAndReported() async throws {
        let fixture = try RunFixture("""
            name: lifecycle
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: cont
              - wait-event: RESUME
                timeout: 5s
              - execute: stop
              - wait-event: STOP
                timeout: 5s
              - execute: system_reset
              - wait-event: [RESET, SHUTDOWN]
                timeout: 5s
                register: reset
              - log: "reset by ${reset.data.reason}"
              - execute: quit
              - name: QEMU shuts down
                wait-event: SHUTDOWN
                match: {reason: host-qmp-quit}
                timeout: 5s
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)\(outcome.standardOutput)")
        let report = outcome.report
        #expect(report.statuses == Array(repeating: "passed", count: 9))
        #expect(report.step("log")?["response"] == "reset by host-qmp-system-reset")
        let events = report["events"]?.arrayValue?.compactMap { $0["event"]?.stringValue } ?? []
        #expect(events == ["RESUME", "STOP", "RESET", "SHUTDOWN"])
        #expect(report["events"]?[0]?["taken_by"] == 1)
        #expect(report["targets"]?[0]?["process"]?["exit_status"] == 0)
    }

    @Test func migratesOutThroughAFileAndBackIntoASecondQEMU() async throws {
        let fixture = try RunFixture("""
            name: migrate through a file
            defaults: {timeout: 20s}
            targets:
              src: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S, -m, "64"]}
              dst: {launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S, -m, "64", -incoming, defer]}
            steps:
              - {target: src, execute: getfd, arguments: {fdname: out}, fd: {path: "${run.dir}/state.bin", mode: write, create: true}}
              - {target: src, execute: migrate-set-parameters, arguments: {max-bandwidth: 2097152}}
              - {target: src, execute: migrate, arguments: {uri: "fd:out"}}
              - {name: out done, target: src, execute: query-migrate, until: {status: completed}, interval: 10ms}
              - {target: dst, execute: getfd, arguments: {fdname: in}, fd: {path: "${run.dir}/state.bin", mode: read}}
              - {target: dst, execute: migrate-incoming, arguments: {uri: "fd:in"}}
              - {name: in done, target: dst, execute: query-migrate, until: {status: completed}, interval: 10ms}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)\(outcome.standardOutput)")
        #expect(outcome.report.statuses.allSatisfy { $0 == "passed" })
        #expect(outcome.report.step("in done")?["response"]?["return"]?["status"] == "completed")
        // At 2 MiB/s the state takes a while: `until` polled more than once before it matched.
        #expect((outcome.report.step("out done")?["attempts"]?.intValue ?? 0) >= 2)
        let getfd = outcome.report["steps"]?[0]
        #expect(getfd?["request"]?["fd"]?["mode"] == "write")
        #expect(getfd?["request"]?["fd"]?["path"]?.stringValue?.hasSuffix("/state.bin") == true)
        #expect(outcome.report.launchedPIDs.count == 2)
        for pid in outcome.report.launchedPIDs { #expect(!processExists(pid)) }
    }

    @Test func addFdThenBlockdevAddOpensTheFile() async throws {
        let fixture = try RunFixture("""
            name: add-fd
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: add-fd
                arguments: {fdset-id: 1}
                fd: {path: disk.img, mode: read-write, create: true}
                register: added
              - execute: blockdev-add
                arguments: {node-name: disk0, driver: raw, file: {driver: file, filename: "/dev/fdset/${added.return.fdset-id}"}}
              - execute: query-named-block-nodes
                expect: {return: {$contains: {node-name: disk0}}}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)\(outcome.standardOutput)")
        // A relative fd path is relative to the playbook's folder.
        #expect(FileManager.default.fileExists(atPath: fixture.folder.file("disk.img")))
    }

    @Test func anExpectedErrorPasses() async throws {
        let fixture = try RunFixture("""
            name: expected error
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: device_del
                arguments: {id: nothing}
                expect: {error: {class: DeviceNotFound, desc: {$regex: nothing}}}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0)
        #expect(outcome.report.statuses == ["passed"])
        #expect(outcome.report["steps"]?[0]?["response"]?["error"]?["class"] == "DeviceNotFound")
    }

    @Test func anUnexpectedErrorFailsTheRunButAlwaysStepsStillRun() async throws {
        let fixture = try RunFixture("""
            name: unexpected error
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - name: unplug what is not there
                execute: device_del
                arguments: {id: nothing}
              - execute: query-status
            always:
              - execute: query-status
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        let report = outcome.report
        #expect(report["outcome"] == "failed")
        #expect(report["exit_code"] == 1)
        #expect(report.statuses == ["failed", "skipped", "passed"])
        let message = report["steps"]?[0]?["message"]?.stringValue ?? ""
        #expect(message.contains("device_del failed: DeviceNotFound"))
        #expect(message.contains("nothing"))
        #expect(report["steps"]?[2]?["phase"] == "always")
        #expect(outcome.standardOutput.contains("FAIL"))
        #expect(report["summary"]?["failed"] == 1)
        #expect(report["summary"]?["skipped"] == 1)
    }

    @Test func ignoredErrorsLetTheRunGoOn() async throws {
        let fixture = try RunFixture("""
            name: ignored
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - {execute: device_del, arguments: {id: nothing}, ignore-errors: true}
              - execute: query-status
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0)
        #expect(outcome.report.statuses == ["ignored", "passed"])
    }

    @Test func anUnmetExpectationSaysWhatCameBack() async throws {
        let fixture = try RunFixture("""
            name: mismatch
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: query-status
                expect: {return: {status: running}}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        let message = outcome.report["steps"]?[0]?["message"]?.stringValue ?? ""
        #expect(message.contains("expected \"running\" but found \"prelaunch\""), "\(message)")
    }

    @Test func untilPollsAndCountsAttempts() async throws {
        let fixture = try RunFixture("""
            name: polling
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - name: never running
                execute: query-status
                until: {status: running}
                interval: 50ms
                timeout: 1s
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        let step = try #require(outcome.report["steps"]?[0])
        #expect(step["status"] == "timeout")
        #expect((step["attempts"]?.intValue ?? 0) >= 2)
        #expect(step["message"]?.stringValue?.contains("did not return a value matching until") == true)
    }

    @Test func registeredValuesAreSubstituted() async throws {
        let fixture = try RunFixture("""
            name: register
            vars: {dev: tablet0}
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: device_add
                arguments: {driver: usb-tablet, id: "${dev}", bus: xhci.0}
              - execute: qom-get
                arguments: {path: "/machine/peripheral/${dev}", property: type}
                register: kind
              - execute: query-status
                register: status
              - name: say it
                log: "${dev} is a ${kind.return} on a ${status.return.status} VM"
              - execute: qom-get
                arguments: {path: "/machine/peripheral/${dev}", property: type}
                expect: {return: "${kind.return}"}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)\(outcome.standardOutput)")
        #expect(outcome.report.step("say it")?["response"] == "tablet0 is a usb-tablet on a prelaunch VM")
        #expect(outcome.standardOutput.contains("tablet0 is a usb-tablet on a prelaunch VM"))
    }

    @Test func sinceOnlyConsidersEventsAfterTheStep() async throws {
        let fixture = try RunFixture("""
            name: since
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: cont
              - execute: stop
              - id: again
                execute: cont
              - name: the second RESUME
                wait-event: RESUME
                since: again
                timeout: 5s
              - name: the first RESUME is still there
                wait-event: RESUME
                timeout: 1s
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)\(outcome.standardOutput)")
        let resumes = (outcome.report["events"]?.arrayValue ?? []).filter { $0["event"] == "RESUME" }
        #expect(resumes.count == 2)
        #expect(resumes.first?["taken_by"] == 4)
        #expect(resumes.last?["taken_by"] == 3)
    }

    @Test func aWaitThatTimesOutListsTheEventsThatDidArrive() async throws {
        let fixture = try RunFixture("""
            name: timeout
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: cont
              - name: wait for nothing
                wait-event: SHUTDOWN
                timeout: 300ms
            always:
              - execute: query-status
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1)
        let step = try #require(outcome.report.step("wait for nothing"))
        #expect(step["status"] == "timeout")
        let message = step["message"]?.stringValue ?? ""
        #expect(message.contains("no SHUTDOWN event arrived on vm within 300ms"), "\(message)")
        #expect(message.contains("RESUME"), "\(message)")
        #expect(outcome.report["outcome"] == "failed")
        #expect(outcome.report.statuses == ["passed", "timeout", "passed"])
    }

    @Test func varsTagsAndStartAtChooseWhatRuns() async throws {
        let fixture = try RunFixture("""
            name: selection
            vars: {word: default}
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - {name: first, log: one, tags: [a]}
              - {name: second, id: second, log: "two ${word}", tags: [a, b]}
              - {name: third, log: three, tags: [b]}
              - {name: fourth, log: four}
            """)
        let tagged = try await fixture.run(["--tag", "b", "--skip-tag", "a", "--var", "word=set"])
        #expect(tagged.status == 0)
        #expect(tagged.report.statuses == ["skipped", "skipped", "passed", "skipped"])

        let started = try await fixture.run(["--start-at", "second", "--var", "word=42"])
        #expect(started.status == 0)
        #expect(started.report.statuses == ["skipped", "passed", "passed", "passed"])
        #expect(started.report.step("second")?["response"] == "two 42")
        #expect(started.report.step("first")?["message"]?.stringValue?.contains("--start-at") == true)

        let unknown = try await runProgram(
            try Executables.qmpbook, ["run", fixture.playbook, "--start-at", "nope", "--report", fixture.reportPath])
        #expect(unknown.status == 2)
        #expect(unknown.standardError.contains("--start-at nope"))
    }

    @Test func targetOverrideConnectsToARunningQEMU() async throws {
        let qemu = try await QEMUProcess.start()
        defer { qemu.stop() }
        let fixture = try RunFixture("""
            name: override
            targets:
              vm: {connect: unix:/nonexistent/socket}
            steps:
              - execute: query-status
                expect: {return: {status: prelaunch}}
            """)
        let outcome = try await fixture.run(["--target", "vm=unix:\(qemu.socketPath)"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report["targets"]?[0]?["mode"] == "connect")
        #expect(outcome.report["targets"]?[0]?["process"] == .null)
        // qmpbook leaves a QEMU it did not launch running.
        #expect(qemu.isRunning)

        let wrong = try await runProgram(
            try Executables.qmpbook, ["run", fixture.playbook, "--target", "nope=unix:/x", "--report", fixture.reportPath])
        #expect(wrong.status == 2)
    }

    @Test func junitAndJSONLinesAreWritten() async throws {
        let fixture = try RunFixture("""
            name: outputs
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: cont
              - wait-event: RESUME
              - {name: boom, execute: device_del, arguments: {id: x}}
              - log: never
            always:
              - execute: query-status
            """)
        let outcome = try await fixture.run(["--junit", fixture.folder.file("junit.xml"),
                                             "--jsonl", fixture.folder.file("run.jsonl")])
        #expect(outcome.status == 1)
        let document = try XMLDocument(data: Data(try fixture.read("junit.xml").utf8))
        #expect(try document.nodes(forXPath: "//testsuite").count == 1)
        let cases = try document.nodes(forXPath: "//testcase")
        #expect(cases.count == 5)
        #expect((cases.first as? XMLElement)?.attribute(forName: "classname")?.stringValue == "outputs.vm")
        let failure = try document.nodes(forXPath: "//testcase/failure").first as? XMLElement
        #expect(failure?.attribute(forName: "message")?.stringValue?.contains("DeviceNotFound") == true)

        let lines = try fixture.read("run.jsonl").split(separator: "\n")
        let values = try lines.map { try JSONValue(parsing: String($0)) }
        let types = values.compactMap { $0["type"]?.stringValue }
        #expect(types.last == "report")
        #expect(types.filter { $0 == "step-started" }.count == 4)
        #expect(types.filter { $0 == "step-finished" }.count == 4)
        #expect(types.contains("event"))
        #expect(values.last?["report"]?["outcome"] == "failed")
    }

    @Test func aRedactedWaitHidesTheEventDataInEveryOutput() async throws {
        let fixture = try RunFixture("""
            name: secret removal
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - execute: device_add
                arguments: {driver: usb-tablet, id: secret0, bus: xhci.0}
              - {id: unplug, execute: device_del, arguments: {id: secret0}}
              - {wait-event: DEVICE_DELETED, match: {device: secret0}, since: unplug, redact: true}
            """)
        let outcome = try await fixture.run(["--jsonl", fixture.folder.file("run.jsonl"), "--verbose"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let lines = try fixture.read("run.jsonl").split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        let streamed = lines.filter { $0["type"] == "event" && $0["event"]?["event"] == "DEVICE_DELETED" }
        #expect(!streamed.isEmpty)
        #expect(streamed.allSatisfy { $0["event"]?["data"] == "<redacted>" })
        let reported = (outcome.report["events"]?.arrayValue ?? []).filter { $0["event"] == "DEVICE_DELETED" }
        #expect(!reported.isEmpty)
        #expect(reported.allSatisfy { $0["data"] == "<redacted>" })
        #expect(outcome.report["steps"]?[2]?["event"]?["data"] != .object(["device": "secret0"]))
        let progress = outcome.standardOutput + outcome.standardError
        #expect(progress.contains("DEVICE_DELETED <redacted>"))
        #expect(!progress.contains("DEVICE_DELETED {"))
    }

    @Test func theReportHasEveryFieldOfTheFormat() async throws {
        let fixture = try RunFixture("""
            name: fields
            targets:
              vm: {launch: \(RunFixture.qemu), capabilities: [oob]}
            steps:
              - {id: go, execute: cont}
              - {wait-event: RESUME, since: go}
              - sleep: 10ms
              - hmp: info status
              - {log: hello, redact: false}
              - {execute: qom-list, arguments: {path: /machine}, redact: true}
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = outcome.report
        for key in ["format", "tool", "playbook", "started", "finished", "duration_ms", "outcome", "exit_code",
                    "targets", "steps", "events", "summary"] {
            #expect(report[key] != nil, "missing \(key)")
        }
        #expect(report["playbook"]?["sha256"]?.stringValue?.count == 64)
        let target = try #require(report["targets"]?[0])
        for key in ["name", "mode", "address", "qemu", "capabilities", "enabled", "protocol_errors", "process"] {
            #expect(target[key] != nil, "missing targets[].\(key)")
        }
        #expect(target["qemu"]?["major"]?.intValue ?? 0 >= 7)
        #expect(target["capabilities"] == ["oob"])
        #expect(target["enabled"] == ["oob"])
        #expect(target["mode"] == "launch")
        #expect(target["address"]?.stringValue?.hasPrefix("unix:") == true)
        for key in ["pid", "exit_status", "stderr_tail"] { #expect(target["process"]?[key] != nil) }
        for step in report["steps"]?.arrayValue ?? [] {
            for key in ["index", "id", "name", "target", "action", "status", "started", "duration_ms", "attempts",
                        "request", "response", "event", "message"] {
                #expect(step[key] != nil, "missing steps[].\(key)")
            }
        }
        #expect(report["steps"]?.arrayValue?.compactMap { $0["action"]?.stringValue }
                == ["execute", "wait-event", "sleep", "hmp", "log", "execute"])
        #expect(report["steps"]?[3]?["response"]?["return"]?.stringValue?.contains("VM status") == true)
        let secret = try #require(report["steps"]?[5])
        #expect(secret["request"]?["arguments"] == "<redacted>")
        #expect(secret["response"] == "<redacted>")
        let event = try #require(report["events"]?[0])
        for key in ["target", "event", "data", "timestamp", "received", "taken_by"] {
            #expect(event[key] != nil, "missing events[].\(key)")
        }
        #expect(report["summary"] == ["total": 6, "passed": 6, "failed": 0, "timeout": 0, "error": 0,
                                      "skipped": 0, "ignored": 0])
    }
}
