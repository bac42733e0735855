import Foundation
import QEMUTestSupport
import QMP
import Testing

/// `loop`, `block`/`rescue`/`always`, `include` and YAML merge keys (SPEC.md
/// §8.3) through the built binary against a real QEMU, and what `check` says
/// of them written wrong.
@Suite(.timeLimit(.minutes(3)))
struct ControlFlowTests {
    /// The report's entries as `(parent, iteration, item, action, status, name)` lines, for comparing whole runs.
    static func entries(_ report: JSONValue) -> [String] {
        (report["steps"]?.arrayValue ?? []).map { step in
            let parent = step["parent"]?.intValue.map(String.init) ?? "-"
            let iteration = step["iteration"]?.intValue.map(String.init) ?? "-"
            let item = step["item"].map { $0.isNull ? "-" : $0.jsonText } ?? "-"
            return "\(step["index"]?.intValue ?? -1) ^\(parent) #\(iteration) \(item) \(step["action"]?.stringValue ?? "") \(step["status"]?.stringValue ?? "") \(step["name"]?.stringValue ?? "")"
        }
    }

    @Test func loopsOverAListAnExpressionAndARangeWithAnEntryPerIteration() async throws {
        let fixture = try RunFixture("""
            name: loops
            targets:
              vm:
                launch: \(RunFixture.qemu)
            vars:
              kinds: [usb-kbd, usb-mouse]
            steps:
              - name: "plug ${kind}"
                loop: "${kinds + ['usb-tablet']}"
                loop-var: kind
                execute: device_add
                arguments: {driver: "${kind}", id: "dev${loop.index}"}
              - name: "check dev${item}"
                loop: {range: [0, 3]}
                execute: qom-get
                arguments: {path: "/machine/peripheral/dev${item}", property: type}
                expect: {return: {$regex: "^usb-"}}
                register: last
              - loop: [dev0, "${'dev' + str(1)}"]
                name: "unplug ${item}"
                execute: device_del
                arguments: {id: "${item}"}
              - execute: qom-list
                arguments: {path: /machine/peripheral}
                register: left
              - assert: "${len(select(left.return, {name: {'$regex': '^dev'}})) == 1 and last.return == 'usb-tablet'}"
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(Self.entries(outcome.report) == [
            "0 ^- #- - execute passed plug ${kind}",
            "1 ^0 #0 \"usb-kbd\" execute passed plug usb-kbd",
            "2 ^0 #1 \"usb-mouse\" execute passed plug usb-mouse",
            "3 ^0 #2 \"usb-tablet\" execute passed plug usb-tablet",
            "4 ^- #- - execute passed check dev${item}",
            "5 ^4 #0 0 execute passed check dev0",
            "6 ^4 #1 1 execute passed check dev1",
            "7 ^4 #2 2 execute passed check dev2",
            "8 ^- #- - execute passed unplug ${item}",
            "9 ^8 #0 \"dev0\" execute passed unplug dev0",
            "10 ^8 #1 \"dev1\" execute passed unplug dev1",
            "11 ^- #- - execute passed qom-list",
            "12 ^- #- - assert passed assert ${len(select(left.return, {name: {'$regex': '^dev'}})) == 1 and last.return == 'usb-tablet'}",
        ])
        let steps = outcome.report["steps"]?.arrayValue ?? []
        #expect(steps[1]["request"]?["arguments"] == ["driver": "usb-kbd", "id": "dev0"])
        #expect(steps[3]["location"] == .string(fixture.playbook + ":8:5"))
        #expect(steps[5]["location"] == .string(fixture.playbook + ":13:5"))
        // The summary counts the steps that acted, not the loops' own entries.
        #expect(outcome.report["summary"]?["total"] == 10)
        #expect(outcome.report["summary"]?["passed"] == 10)
    }

    @Test func aFailingIterationStopsTheLoopUnlessItsErrorsAreIgnored() async throws {
        let fixture = try RunFixture("""
            name: failing
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - loop: [1, 2, 3]
                ignore-errors: true
                assert: "${item != 2}"
                message: "item ${item} at ${loop.index}"
              - loop: {range: [5, 8]}
                assert: "${item < 6}"
                message: "${item} is too big"
              - log: never
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 1)
        #expect(Self.entries(outcome.report) == [
            "0 ^- #- - assert passed assert ${item != 2}",
            "1 ^0 #0 1 assert passed assert ${item != 2}",
            "2 ^0 #1 2 assert ignored assert ${item != 2}",
            "3 ^0 #2 3 assert passed assert ${item != 2}",
            "4 ^- #- - assert failed assert ${item < 6}",
            "5 ^4 #0 5 assert passed assert ${item < 6}",
            "6 ^4 #1 6 assert failed assert ${item < 6}",
            "7 ^- #- - log skipped log",
        ])
        let steps = outcome.report["steps"]?.arrayValue ?? []
        #expect(steps[2]["message"] == "item 2 at 1")
        #expect(steps[4]["message"] == "iteration 1: 6 is too big")
        #expect(outcome.report["message"]?.stringValue?.contains("6 is too big") == true)
    }

    @Test func aLoopOverSomethingThatIsNotAListFailsSayingWhatCameBack() async throws {
        let fixture = try RunFixture("""
            name: not a list
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - execute: query-status
                register: status
              - loop: "${status.return}"
                log: "${item}"
              - loop: {range: [0, "${status.return.status}"]}
                log: "${item}"
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 1)
        #expect(outcome.report.statuses == ["passed", "failed", "skipped"])
        let message = outcome.report["steps"]?[1]?["message"]?.stringValue ?? ""
        #expect(message.hasPrefix("loop ${status.return} gave an object ("), "\(message)")
        #expect(message.hasSuffix("), not a list"), "\(message)")
    }

    @Test func aRangeThatIsNotAnIntegerFails() async throws {
        let fixture = try RunFixture("""
            name: range
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - set: {top: "three"}
              - loop: {range: [0, "${top}"]}
                log: "${item}"
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 1)
        #expect(outcome.report["steps"]?[1]?["message"] == "loop range end ${top} gave a string (\"three\"), not an integer")
    }

    @Test func aRescuedBlockPassesAndItsAlwaysRunsAfterBoth() async throws {
        let fixture = try RunFixture("""
            name: blocks
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - name: plug and fail
                block:
                  - execute: device_add
                    arguments: {driver: usb-kbd, id: kbd}
                  - execute: device_del
                    arguments: {id: nothere}
                  - log: never
                rescue:
                  - execute: device_del
                    arguments: {id: kbd}
                  - set: {rescued: true}
                always:
                  - execute: qom-list
                    arguments: {path: /machine/peripheral}
                    register: peripherals
              - assert: "${rescued and len(select(peripherals.return, {'name': 'kbd'})) == 0}"
              - name: rescue fails
                block:
                  - fail: "first"
                rescue:
                  - fail: "the rescue failed too"
                  - log: never
                always:
                  - log: "cleanup 1"
                  - fail: "cleanup fails"
                  - log: "cleanup 2"
              - log: never
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 1, "\(outcome.standardError)")
        #expect(Self.entries(outcome.report) == [
            "0 ^- #- - block passed plug and fail",
            "1 ^0 #- - execute passed device_add",
            "2 ^0 #- - execute rescued device_del",
            "3 ^0 #- - log skipped log",
            "4 ^0 #- - execute passed device_del",
            "5 ^0 #- - set passed set rescued",
            "6 ^0 #- - execute passed qom-list",
            "7 ^- #- - assert passed assert ${rescued and len(select(peripherals.return, {'name': 'kbd'})) == 0}",
            "8 ^- #- - block failed rescue fails",
            "9 ^8 #- - fail rescued fail",
            "10 ^8 #- - fail failed fail",
            "11 ^8 #- - log skipped log",
            "12 ^8 #- - log passed log",
            "13 ^8 #- - fail failed fail",
            "14 ^8 #- - log passed log",
            "15 ^- #- - log skipped log",
        ])
        let steps = outcome.report["steps"]?.arrayValue ?? []
        #expect(steps[2]["message"]?.stringValue?.contains("DeviceNotFound") == true)
        #expect(steps[8]["message"]?.stringValue?.hasSuffix("the rescue failed too") == true)
        #expect(outcome.report["message"]?.stringValue?.contains("the rescue failed too") == true)
        // rescued counts as passed.
        #expect(outcome.report["summary"]?["passed"] == 9)
        #expect(outcome.report["summary"]?["failed"] == 2)
    }

    @Test func aBlockWithoutRescueFailsAfterItsAlways() async throws {
        let fixture = try RunFixture("""
            name: no rescue
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - block:
                  - fail: "broken"
                always:
                  - log: "cleaned"
            always:
              - log: "playbook always"
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 1)
        #expect(Self.entries(outcome.report) == [
            "0 ^- #- - block failed block of 1 step",
            "1 ^0 #- - fail failed fail",
            "2 ^0 #- - log passed log",
            "3 ^- #- - log passed log",
        ])
    }

    @Test func nestedBlocksInALoopGetAnEntryPerIteration() async throws {
        let fixture = try RunFixture("""
            name: nested
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - name: "round ${loop.index}"
                loop: [usb-kbd, usb-mouse]
                block:
                  - execute: device_add
                    arguments: {driver: "${item}", id: "d${loop.index}"}
                  - block:
                      - when: "${item == 'usb-mouse'}"
                        fail: "mouse refused"
                    rescue:
                      - execute: device_del
                        arguments: {id: "d${loop.index}"}
              - execute: qom-list
                arguments: {path: /machine/peripheral}
                register: left
              - assert: "${len(select(left.return, {name: {'$regex': '^d[0-9]'}})) == 1}"
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(Self.entries(outcome.report) == [
            "0 ^- #- - block passed round ${loop.index}",
            "1 ^0 #0 \"usb-kbd\" block passed round 0",
            "2 ^1 #0 \"usb-kbd\" execute passed device_add",
            "3 ^1 #0 \"usb-kbd\" block passed block of 1 step",
            "4 ^3 #0 \"usb-kbd\" fail skipped fail",
            "5 ^3 #0 \"usb-kbd\" execute skipped device_del",
            "6 ^0 #1 \"usb-mouse\" block passed round 1",
            "7 ^6 #1 \"usb-mouse\" execute passed device_add",
            "8 ^6 #1 \"usb-mouse\" block passed block of 1 step",
            "9 ^8 #1 \"usb-mouse\" fail rescued fail",
            "10 ^8 #1 \"usb-mouse\" execute passed device_del",
            "11 ^- #- - execute passed qom-list",
            "12 ^- #- - assert passed assert ${len(select(left.return, {name: {'$regex': '^d[0-9]'}})) == 1}",
        ])
    }

    @Test func includesSeeTheirVarsOnlyAndRegisterRunWide() async throws {
        let fixture = try RunFixture("""
            name: includes
            targets:
              vm:
                launch: \(RunFixture.qemu)
            vars:
              base: kbd
            steps:
              - include: parts/plug.yaml
                vars: {driver: usb-kbd, name: "${base}"}
              - include: parts/plug.yaml
                vars: {driver: usb-mouse}
              - assert: "${plugged.return == 'usb-mouse'}"
            """)
        try FileManager.default.createDirectory(atPath: fixture.folder.file("parts"), withIntermediateDirectories: true)
        try """
            vars: {name: dflt}
            steps:
              - id: add
                execute: device_add
                arguments: {driver: "${driver}", id: "${name}-${driver}"}
              - include: check.yaml
            """.write(toFile: fixture.folder.file("parts/plug.yaml"), atomically: false, encoding: .utf8)
        try """
            - execute: qom-get
              arguments: {path: "/machine/peripheral/${name}-${driver}", property: type}
              register: plugged
            """.write(toFile: fixture.folder.file("parts/check.yaml"), atomically: false, encoding: .utf8)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(Self.entries(outcome.report) == [
            "0 ^- #- - include passed include parts/plug.yaml",
            "1 ^0 #- - execute passed device_add",
            "2 ^0 #- - include passed include check.yaml",
            "3 ^2 #- - execute passed qom-get",
            "4 ^- #- - include passed include parts/plug.yaml",
            "5 ^4 #- - execute passed device_add",
            "6 ^4 #- - include passed include check.yaml",
            "7 ^6 #- - execute passed qom-get",
            "8 ^- #- - assert passed assert ${plugged.return == 'usb-mouse'}",
        ])
        let steps = outcome.report["steps"]?.arrayValue ?? []
        #expect(steps[1]["request"]?["arguments"] == ["driver": "usb-kbd", "id": "kbd-usb-kbd"])
        #expect(steps[5]["request"]?["arguments"] == ["driver": "usb-mouse", "id": "dflt-usb-mouse"])
        #expect(steps[3]["location"] == .string(fixture.folder.file("parts/check.yaml") + ":1:3"))
        #expect(steps[1]["id"] == "add")
    }

    @Test func mergeKeysReuseAStepWithKeysOverridden() async throws {
        let fixture = try RunFixture("""
            name: merge
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - &plug
                name: plug keyboard
                execute: device_add
                arguments: &args {driver: usb-kbd, id: k1}
              - <<: *plug
                name: plug mouse
                arguments:
                  <<: *args
                  driver: usb-mouse
                  id: m1
              - execute: qom-get
                arguments: {path: /machine/peripheral/m1, property: type}
                expect: {return: usb-mouse}
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.report.step("plug mouse")?["request"]?["arguments"] == ["driver": "usb-mouse", "id": "m1"])
        #expect(outcome.report.statuses == ["passed", "passed", "passed"])
    }

    @Test func startAtAndTagsReachStepsInsideBlocksAndIncludes() async throws {
        let fixture = try RunFixture("""
            name: selection
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - log: first
              - block:
                  - log: in block before
                  - id: here
                    log: in block start
                    tags: [picked]
                  - log: in block after
              - include: inc.yaml
                tags: [inc]
              - log: last
            """)
        try """
            - log: included one
            - log: included two
              tags: [picked]
            """.write(toFile: fixture.folder.file("inc.yaml"), atomically: false, encoding: .utf8)
        let started = try await fixture.run(["--no-preflight", "--start-at", "here"])
        #expect(started.status == 0, "\(started.standardError)")
        #expect(started.report.statuses == ["skipped", "passed", "skipped", "passed", "passed", "passed", "passed", "passed", "passed"])

        let tagged = try await fixture.run(["--no-preflight", "--tag", "picked"])
        #expect(tagged.status == 0, "\(tagged.standardError)")
        #expect(tagged.report.statuses == ["skipped", "passed", "skipped", "passed", "skipped", "passed", "skipped", "passed", "skipped"])

        // A tag on an include selects every step in it; --skip-tag leaves them all out.
        let included = try await fixture.run(["--no-preflight", "--tag", "inc"])
        #expect(included.report.statuses == ["skipped", "skipped", "skipped", "skipped", "skipped", "passed", "passed", "passed", "skipped"])
        let skipped = try await fixture.run(["--no-preflight", "--skip-tag", "inc"])
        #expect(skipped.report.statuses == ["passed", "passed", "passed", "passed", "passed", "skipped", "skipped", "skipped", "passed"])
        #expect(skipped.report["steps"]?[5]?["message"] == "not run: --skip-tag inc")

        let unknown = try await fixture.run(["--no-preflight", "--start-at", "nope"])
        #expect(unknown.status == 2)
        #expect(unknown.standardError.contains("--start-at nope: no step of the playbook has that id"))
    }

    @Test func anIncludeCycleIsExit2NamingBothFiles() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("main.yaml")
        try """
            name: cycle
            targets: {vm: {connect: /nonexistent/qmp.sock}}
            steps:
              - include: one.yaml
            """.write(toFile: path, atomically: false, encoding: .utf8)
        try "- include: two.yaml\n".write(toFile: folder.file("one.yaml"), atomically: false, encoding: .utf8)
        try "steps:\n  - log: x\n  - include: one.yaml\n".write(toFile: folder.file("two.yaml"), atomically: false, encoding: .utf8)
        for command in ["check", "run"] {
            let output = try await runProgram(try Executables.qmpbook, [command, path])
            #expect(output.status == 2)
            let expected = "\(folder.file("two.yaml")):3:14: include cycle: \(folder.file("two.yaml")) includes \(folder.file("one.yaml")), which is already being included"
            #expect(output.standardError.contains(expected), "\(output.standardError)")
        }
    }

    @Test func checkFindsEveryProblemOfLoopsBlocksAndIncludesInOnePass() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("bad.yaml")
        try """
            name: bad
            targets: {vm: {connect: /nonexistent/qmp.sock}}
            steps:
              - loop: 42
                log: x
              - loop-var: x
                log: y
              - loop: {range: [0]}
                log: z
              - loop: {range: [0, "a"]}
                log: z
              - loop: [1, 2]
                loop-var: env
                log: z
              - block: []
              - block:
                  - log: "${nothere}"
                rescue: 5
              - include: missing.yaml
              - include: "${x}.yaml"
              - include: inc-bad.yaml
              - block:
                  - log: a
                timeout: 5s
              - log: "${item}"
              - <<: 5
                log: a
              - loop: {each: [1]}
                log: "${len(item, 2)}"
            """.write(toFile: path, atomically: false, encoding: .utf8)
        try """
            - log: "${undefined_here}"
            - execute: query-status
              bogus: 1
            - log: "${1 +}"
            """.write(toFile: folder.file("inc-bad.yaml"), atomically: false, encoding: .utf8)
        let output = try await runProgram(try Executables.qmpbook, ["check", path])
        #expect(output.status == 2)
        let inc = folder.file("inc-bad.yaml")
        let expected = [
            "bad.yaml:4:11: loop takes a list, \"${…}\" giving a list, or {range: [FIRST, END]}, not an integer",
            "bad.yaml:6:15: loop-var only applies with loop",
            "bad.yaml:8:19: range takes two integers, [FIRST, END]: {range: [0, 4]} gives 0, 1, 2, 3",
            "bad.yaml:10:23: a range bound must be an integer or \"${…}\" giving one, not a string",
            "bad.yaml:13:15: 'env' is a built-in name; choose another loop-var name",
            "bad.yaml:15:12: 'block' needs at least one step",
            "bad.yaml:17:17: undefined variable 'nothere'",
            "bad.yaml:18:13: rescue must be a list, not an integer",
            "bad.yaml:19:14: include: \(folder.file("missing.yaml")): no such file",
            "bad.yaml:20:14: include takes a file name written out: ${…} is not resolved here",
            "bad.yaml:24:5: 'timeout' does not apply to a block step",
            "bad.yaml:25:13: 'item' in '${item}' is defined only inside a loop",
            "bad.yaml:26:9: << merges a map or a list of maps (<<: *anchor), not a scalar",
            "bad.yaml:28:11: a loop map takes only range: [FIRST, END]",
            "bad.yaml:29:13: len() takes 1 argument, not 2 (in '${len(item, 2)}')",
            "\(inc):1:11: undefined variable 'undefined_here'",
            "\(inc):3:3: unknown key 'bogus' in a step",
            "\(inc):4:14: ",
        ]
        for line in expected {
            #expect(output.standardError.contains(line), "missing: \(line)\n\(output.standardError)")
        }
        #expect(output.standardError.contains("qmpbook: 19 problems"), "\(output.standardError)")
    }

    @Test func durationsIgnoreErrorsAndWholeArgumentsTakeExpressions() async throws {
        let fixture = try RunFixture("""
            name: late values
            targets:
              vm:
                launch: \(RunFixture.qemu)
            vars:
              pause: 50ms
              kbd: {driver: usb-kbd, id: k1}
              strict: false
            steps:
              - set: {odd: {text: "$${not resolved}"}}
              - log: "${odd}"
              - execute: qom-list
                arguments: "${ {'path': '/machine/peripheral', 'extra': odd.text} }"
                expect: {error: {desc: {$regex: "extra"}}}
              - sleep: "${pause}"
              - execute: device_add
                arguments: "${kbd}"
                timeout: "${2 * 5}"
              - execute: qom-get
                arguments: {path: /machine/peripheral/k1, property: type}
                until: usb-kbd
                interval: "${0.1}"
              - fail: "tolerated"
                ignore-errors: "${not strict}"
              - sleep: "${[1]}"
            """)
        let outcome = try await fixture.run()
        #expect(outcome.status == 1, "\(outcome.standardError)")
        #expect(outcome.report.statuses == ["passed", "passed", "passed", "passed", "passed", "passed", "ignored", "failed"])
        let all = outcome.report["steps"]?.arrayValue ?? []
        // A value given by the run is sent as it is, never resolved a second time.
        #expect(all[2]["request"]?["arguments"] == ["path": "/machine/peripheral", "extra": "${not resolved}"])
        let steps = Array(all.dropFirst(3))
        #expect(steps[0]["name"] == "sleep 50ms")
        #expect((steps[0]["duration_ms"]?.doubleValue ?? 0) >= 50)
        #expect(steps[1]["request"]?["arguments"] == ["driver": "usb-kbd", "id": "k1"])
        #expect(steps[4]["message"] == "sleep ${[1]} gave an array ([1]), not a duration such as 5s or a number of seconds")
    }

    @Test func aLateValueOfTheWrongTypeFailsItsStepSayingWhatCameBack() async throws {
        let fixture = try RunFixture("""
            name: wrong types
            targets:
              vm:
                launch: \(RunFixture.qemu)
            vars:
              name: tablet
            steps:
              - log: a
                timeout: "${name}"
                ignore-errors: true
              - log: b
                ignore-errors: "${name}"
              - execute: device_add
                arguments: "${name}"
            """)
        let outcome = try await fixture.run(["--no-preflight"])
        #expect(outcome.status == 1)
        #expect(outcome.report.statuses == ["ignored", "failed", "skipped"])
        let steps = outcome.report["steps"]?.arrayValue ?? []
        #expect(steps[0]["message"] == "timeout ${name} gave a string (\"tablet\"), not a duration such as 5s or a number of seconds")
        #expect(steps[1]["message"] == "ignore-errors ${name} gave a string (\"tablet\"), not true or false")

        let arguments = try RunFixture("""
            name: wrong arguments
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - execute: device_add
                arguments: "${[1, 2]}"
            """)
        let failed = try await arguments.run()
        #expect(failed.status == 1)
        #expect(failed.report["steps"]?[0]?["message"] == "arguments ${[1, 2]} gave an array ([1,2]), not a map of arguments")
    }

    @Test func checkFindsProblemsInLateValuesAtTheirCharacter() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("late.yaml")
        try """
            name: late
            targets: {vm: {connect: /nonexistent/qmp.sock}}
            steps:
              - sleep: "${nope}"
              - log: x
                timeout: "${1 +}"
              - execute: device_add
                arguments: "${nothing(1)}"
            """.write(toFile: path, atomically: false, encoding: .utf8)
        let output = try await runProgram(try Executables.qmpbook, ["check", path])
        #expect(output.status == 2)
        for line in [
            "late.yaml:4:15: undefined variable 'nope'",
            "late.yaml:6:20: in '${1 +}': the expression ends too early",
            "late.yaml:8:19: unknown function 'nothing'",
        ] {
            #expect(output.standardError.contains(line), "missing: \(line)\n\(output.standardError)")
        }
    }

    /// The YAML examples of Docs/playbooks.md's "Control flow" and "Expressions" sections are copyable: each, made
    /// into a playbook (a list of steps, or the top-level keys it shows), passes `qmpbook check`.
    @Test func theControlFlowExamplesInTheDocsPassCheck() async throws {
        let page = try MarkdownPage("Docs/playbooks.md")
        let text = try String(contentsOfFile: Repository.path("Docs/playbooks.md"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex(of: "## Control flow")) + 1
        let end = try #require(lines.firstIndex(of: "## YAML")) + 1
        let blocks = page.blocks.filter { $0.language == "yaml" && (start..<end).contains($0.line) }
        #expect(blocks.count >= 5)
        let folder = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder.file("common"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Repository.path("Playbooks/common/block-nodes.yaml"), toPath: folder.file("common/block-nodes.yaml"))
        for block in blocks {
            let body = block.lines.joined(separator: "\n")
            let topLevel = block.lines.first.map { !$0.hasPrefix(" ") } ?? false
            var yaml = "name: docs example\ntargets: {vm: {connect: /nonexistent/qmp.sock}}\n"
            if topLevel, !body.hasPrefix("- ") {
                yaml += body + "\n"
                if !body.contains("steps:") { continue }   // the included file's own form, checked through the include example
            } else {
                yaml += "vars: {drivers: [usb-kbd], disk: {node-name: d, size: 1}}\nsteps:\n" + body + "\n"
            }
            let path = folder.file("example\(block.line).yaml")
            try yaml.write(toFile: path, atomically: false, encoding: .utf8)
            let output = try await runProgram(try Executables.qmpbook, ["check", path])
            #expect(output.status == 0, "Docs/playbooks.md:\(block.line): \(output.standardError)")
        }
    }

    @Test func everyBadIncludeIsAProblemAtItsPlace() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("main.yaml")
        try """
            name: bad includes
            targets: {vm: {connect: /nonexistent/qmp.sock}}
            steps:
              - include: scalar.yaml
              - include: nosteps.yaml
              - include: syntax.yaml
              - include: .
              - include: ok.yaml
                vars: [1, 2]
              - include: ok.yaml
                vars: {run: 1}
              - include: ok.yaml
                timeout: 1s
              - include: empty.yaml
            """.write(toFile: path, atomically: false, encoding: .utf8)
        let files = ["scalar.yaml": "just text\n", "nosteps.yaml": "vars: {a: 1}\nstep: []\n", "syntax.yaml": "- log: [unclosed\n",
                     "ok.yaml": "- log: fine\n", "empty.yaml": ""]
        for (name, text) in files { try text.write(toFile: folder.file(name), atomically: false, encoding: .utf8) }
        let output = try await runProgram(try Executables.qmpbook, ["check", path])
        #expect(output.status == 2)
        let expected = [
            "main.yaml:7:14: include: \(folder.file(".")): is a folder, not a playbook file",
            "main.yaml:9:11: vars must be a map, not a list",
            "main.yaml:11:12: 'run' is a built-in name; choose another vars name",
            "main.yaml:13:5: 'timeout' does not apply to an include step",
            "main.yaml:14:14: include \(folder.file("empty.yaml")): the file holds no YAML document",
            "nosteps.yaml:1:1: an included file needs 'steps'",
            "nosteps.yaml:2:1: unknown key 'step' in an included file (did you mean 'steps'?)",
            "scalar.yaml:1:1: an included file is a list of steps or a map with steps, not a string",
            "syntax.yaml:2:1: did not find expected ',' or ']'",
            "qmpbook: 9 problems",
        ]
        for line in expected {
            #expect(output.standardError.contains(line), "missing: \(line)\n\(output.standardError)")
        }
    }
}
