import QMP
import Testing
@testable import Playbook

@Suite struct PlaybookLoaderTests {
    private func load(_ text: String, overrides: [String: JSONValue] = [:]) -> Result<Playbook, Diagnostics> {
        PlaybookLoader.load(bytes: Array(text.utf8), path: "/books/t.yaml", variables: overrides)
    }

    private func playbook(_ text: String, overrides: [String: JSONValue] = [:]) throws -> Playbook {
        switch load(text, overrides: overrides) {
        case .success(let playbook): return playbook
        case .failure(let problems):
            Issue.record("unexpected problems:\n\(problems)")
            throw problems
        }
    }

    private func problems(_ text: String, overrides: [String: JSONValue] = [:]) -> [Diagnostic] {
        switch load(text, overrides: overrides) {
        case .success: return []
        case .failure(let problems): return problems.diagnostics
        }
    }

    @Test func environmentVariablesAreCheckedAgainstTheEnvironment() {
        let text = "name: t\ntargets: {vm: {connect: /s}}\nsteps:\n  - log: \"${env.SOCKET_DIR} ${env.MISSING}\"\n"
        let result = PlaybookLoader.load(bytes: Array(text.utf8), path: "/books/t.yaml", environment: ["SOCKET_DIR": "/run"])
        guard case .failure(let problems) = result else {
            Issue.record("an unset environment variable was accepted")
            return
        }
        #expect(problems.diagnostics.map(\.description) == [
            "/books/t.yaml:4:31: environment variable 'MISSING' is not set (in '${env.MISSING}')",
        ])
    }

    @Test func patternOperandsWithTemplatesAreCheckedAtRunTime() {
        let text = """
            name: t
            vars: {dev: tablet0, limit: 3}
            targets: {vm: {connect: /s}}
            steps:
              - wait-event: DEVICE_DELETED
                match: {device: {$regex: "^${dev}$"}, path: {$regex: "["}}
              - execute: query-status
                until: {count: {$gt: "${limit}"}}
            """
        let found = problems(text)
        #expect(found.count == 1)
        #expect(found.first?.description.contains("t.yaml:6:") == true)
        #expect(found.first?.description.contains("'[' is not a valid regular expression") == true)
    }

    static let example = """
        name: USB tablet hot-plug
        description: plug and unplug
        vars:
          dev: tablet0
        timeout: 5m
        defaults:
          target: vm
          timeout: 30s
        targets:
          vm:
            launch: [qemu-system-x86_64, -M, pc, -smp, 2]
          src: {connect: "unix:/run/src.qmp", timeout: 10s, capabilities: [oob]}
          mon: {listen: "tcp:127.0.0.1:4444"}
          env: {launch: {command: [qemu-system-x86_64], env: {LANG: C, N: 3}}}
        steps:
          - name: plug a tablet
            execute: device_add
            arguments:
              driver: usb-tablet
              id: "${dev}"
              props: [{x: 1}]
            register: plugged
          - id: unplug
            execute: device_del
            target: src
            arguments: {id: "${plugged.return}"}
            expect: {error: {class: DeviceNotFound}}
            ignore-errors: true
            tags: [usb]
            redact: true
          - wait-event: [DEVICE_DELETED, DEVICE_UNPLUG_GUEST_ERROR]
            match: {device: "${dev}"}
            since: unplug
            register: deleted
          - sleep: 250ms
          - hmp: info status
          - log: "deleted ${deleted.data.device}"
          - execute: getfd
            arguments: {fdname: f}
            fd: {path: out.bin, mode: write, create: true, perm: 0640}
          - execute: query-status
            until: {running: true}
            interval: 100ms
        always:
          - execute: quit
        """

    @Test func buildsTheModel() throws {
        let playbook = try playbook(Self.example)
        #expect(playbook.name == "USB tablet hot-plug")
        #expect(playbook.description == "plug and unplug")
        #expect(playbook.directory == "/books")
        #expect(playbook.sha256.count == 64)
        #expect(playbook.vars == ["dev": "tablet0"])
        #expect(playbook.timeout == .seconds(300))
        #expect(playbook.targets.map(\.name) == ["vm", "src", "mon", "env"])
        #expect(playbook.steps.count == 8)
        #expect(playbook.always.count == 1)
        #expect(playbook.always[0].index == 8)
        #expect(playbook.always[0].phase == .always)
    }

    @Test func buildsTargets() throws {
        let playbook = try playbook(Self.example)
        guard case .launch(let command, let environment) = playbook.targets[0].mode else { Issue.record("not launch"); return }
        #expect(command == ["qemu-system-x86_64", "-M", "pc", "-smp", "2"])
        #expect(environment.isEmpty)
        guard case .connect(let address) = playbook.targets[1].mode else { Issue.record("not connect"); return }
        #expect(address == "unix:/run/src.qmp")
        #expect(playbook.targets[1].capabilities == ["oob"])
        #expect(playbook.targets[1].timeout == .seconds(10))
        #expect(playbook.targets[1].location == SourceLocation(file: "/books/t.yaml", line: 12, column: 3))
        guard case .listen = playbook.targets[2].mode else { Issue.record("not listen"); return }
        guard case .launch(_, let env) = playbook.targets[3].mode else { Issue.record("not launch"); return }
        #expect(env == ["LANG": "C", "N": "3"])
    }

    @Test func buildsSteps() throws {
        let steps = try playbook(Self.example).steps
        #expect(steps[0].name == "plug a tablet")
        #expect(steps[0].target == "vm")
        #expect(steps[0].timeout == .seconds(30))
        guard case .execute(let plug) = steps[0].action else { Issue.record("not execute"); return }
        #expect(plug.command == "device_add")
        #expect(plug.arguments == ["driver": "usb-tablet", "id": "${dev}", "props": [["x": 1]]])
        #expect(plug.register == "plugged")

        #expect(steps[1].id == "unplug")
        #expect(steps[1].name == "device_del")
        #expect(steps[1].target == "src")
        #expect(steps[1].ignoreErrors && steps[1].redact)
        #expect(steps[1].tags == ["usb"])
        guard case .execute(let unplug) = steps[1].action, case .error(let pattern) = unplug.expect else { Issue.record("no expect"); return }
        #expect(pattern == ["class": "DeviceNotFound"])

        guard case .waitEvent(let wait) = steps[2].action else { Issue.record("not wait"); return }
        #expect(wait.events == ["DEVICE_DELETED", "DEVICE_UNPLUG_GUEST_ERROR"])
        #expect(wait.since == "unplug")
        #expect(wait.match == ["device": "${dev}"])
        #expect(steps[2].name == "wait for DEVICE_DELETED or DEVICE_UNPLUG_GUEST_ERROR")

        guard case .sleep(let pause) = steps[3].action else { Issue.record("not sleep"); return }
        #expect(pause == .milliseconds(250))
        #expect(steps[3].name == "sleep 250ms")
        guard case .hmp(let line) = steps[4].action else { Issue.record("not hmp"); return }
        #expect(line == "info status")
        guard case .log(let text) = steps[5].action else { Issue.record("not log"); return }
        #expect(text == "deleted ${deleted.data.device}")

        guard case .execute(let getfd) = steps[6].action, let fd = getfd.fd else { Issue.record("no fd"); return }
        #expect(fd.path == "out.bin")
        #expect(fd.mode == .write)
        #expect(fd.create)
        #expect(fd.permissions == 0o640)

        guard case .execute(let poll) = steps[7].action else { Issue.record("not execute"); return }
        #expect(poll.until == ["running": true])
        #expect(poll.interval == .milliseconds(100))
    }

    @Test func keepsLocationsOfNestedArguments() throws {
        let step = try playbook(Self.example).steps[0]
        #expect(step.location == SourceLocation(file: "/books/t.yaml", line: 16, column: 5))
        #expect(step.location(of: "execute").line == 17)
        #expect(step.locations["arguments.driver"] == SourceLocation(file: "/books/t.yaml", line: 19, column: 7))
        #expect(step.locations["arguments.id"]?.line == 20)
        #expect(step.locations["arguments.props.0.x"]?.line == 21)
        #expect(step.location(of: "arguments.props.0.x.y").line == 21)
        #expect(step.location(of: "nowhere").line == 16)
        let steps = try playbook(Self.example).steps
        #expect(steps[2].locations["wait-event.1"] == SourceLocation(file: "/books/t.yaml", line: 31, column: 34))
        #expect(steps[1].locations["expect.error.class"]?.line == 27)
        #expect(steps[6].locations["fd.perm"]?.line == 40)
    }

    @Test func aStepWrittenOnItsFirstKeyKeepsNoLocationTable() throws {
        let book = try playbook("""
            name: t
            targets:
              vm: {connect: "unix:/x"}
            steps:
              - execute: query-status
              - name: n
                execute: query-status
            """)
        #expect(book.steps[0].locations.isEmpty)
        #expect(book.steps[0].location(of: "execute") == SourceLocation(file: "/books/t.yaml", line: 5, column: 5))
        #expect(book.steps[1].location(of: "execute") == SourceLocation(file: "/books/t.yaml", line: 7, column: 5))
    }

    @Test(arguments: ["0600", "0o600", "\"0600\"", "600", "'0o600'"])
    func readsPermAsOctalHoweverWritten(perm: String) throws {
        let text = """
            name: p
            targets: {vm: {connect: /tmp/s}}
            steps:
              - execute: getfd
                fd: {path: x, perm: \(perm)}
            """
        guard case .execute(let step) = try playbook(text).steps[0].action else { Issue.record("not execute"); return }
        #expect(step.fd?.permissions == 0o600)
        #expect(step.fd?.mode == .read)
    }

    @Test func collectsEveryProblem() {
        let found = problems("""
            name: many
            targets: {vm: {connect: /tmp/s}}
            steps:
              - execute: a
                argments: {}
              - sleep: forever
              - log: "${nope}"
            """)
        #expect(found.map { $0.location?.line } == [5, 6, 7])
    }

    @Test func requiresNameTargetsAndSteps() {
        let found = problems("description: x\n")
        #expect(found.count == 3)
        #expect(found.allSatisfy { $0.location?.line == 1 })
        #expect(found.contains { $0.message.contains("'name'") })
        #expect(found.contains { $0.message.contains("'targets'") })
        #expect(found.contains { $0.message.contains("'steps'") })
    }

    @Test func registersAreDefinedOnlyForLaterSteps() {
        let found = problems("""
            name: r
            targets: {vm: {connect: /tmp/s}}
            steps:
              - log: "${early}"
              - execute: query-status
                register: early
                arguments: {x: "${early}"}
              - log: "${early.return}"
            always:
              - log: "${early}"
            """)
        #expect(found.map { $0.location?.line } == [4, 7])
    }

    @Test func alwaysStepsMayWaitSinceAMainStep() throws {
        let playbook = try playbook("""
            name: a
            targets: {vm: {connect: /s}}
            steps:
              - {execute: device_del, id: del, register: reply}
            always:
              - {wait-event: DEVICE_DELETED, since: del}
              - {log: "${reply}"}
            """)
        guard case .waitEvent(let wait) = playbook.always[0].action else { Issue.record("not wait"); return }
        #expect(wait.since == "del")
        #expect(playbook.always.map(\.index) == [1, 2])
    }

    @Test func mergeKeysMergeAMapWithItsOwnKeysWinning() throws {
        let loaded = try playbook("""
            name: a
            targets: {vm: {connect: /s}}
            steps:
              - &base {execute: query-status, timeout: 1s, name: first}
              - {<<: *base, name: second}
              - <<: [{log: one, name: left}, {log: two, tags: [t]}]
            """)
        #expect(loaded.steps.map(\.name) == ["first", "second", "left"])
        #expect(loaded.steps[1].timeout == .seconds(1))
        #expect(loaded.steps[2].tags == ["t"])
        guard case .log(let text) = loaded.steps[2].action else { Issue.record("not log"); return }
        #expect(text == "one")
        let found = problems("name: a\ntargets: {vm: {connect: /s}}\nsteps:\n  - {<<: [1], log: x}\n")
        #expect(found.contains { $0.message == "<< merges a map or a list of maps (<<: *anchor), not a list" && $0.location?.line == 4 })
    }

    @Test func emptyOptionalCollectionsAreAbsent() throws {
        let playbook = try playbook("name: e\nvars:\ndefaults:\ntargets: {vm: {connect: /s, capabilities: }}\nsteps:\n  - execute: x\n    arguments:\n    tags: ~\nalways:\n")
        guard case .execute(let step) = playbook.steps[0].action else { Issue.record("not execute"); return }
        #expect(step.arguments == nil)
        #expect(playbook.always.isEmpty)
        #expect(playbook.vars.isEmpty)
    }

    @Test func varOverridesDefineVariables() throws {
        let text = """
            name: o
            targets: {vm: {connect: "${sock}"}}
            steps:
              - log: "${sock}"
            """
        #expect(problems(text).count == 2)
        let playbook = try playbook(text, overrides: ["sock": "/tmp/q.sock"])
        guard case .connect(let address) = playbook.targets[0].mode else { Issue.record("not connect"); return }
        #expect(address == "${sock}")
    }

    @Test func oneTargetNeedsNoTargetKey() throws {
        let playbook = try playbook("name: t\ntargets: {only: {connect: /s}}\nsteps: [{execute: query-status}]\n")
        #expect(playbook.steps[0].target == "only")
    }

    @Test func sleepAndLogNeedNoTargetAmongSeveral() throws {
        let playbook = try playbook("name: t\ntargets: {a: {connect: /s}, b: {connect: /t}}\nsteps: [{sleep: 1}, {log: x}]\n")
        #expect(playbook.steps.map(\.target) == [nil, nil])
    }

    @Test func everyProblemIsOneLine() {
        let found = problems("name: t\ntargets: {vm: {connect: /s}}\nsteps:\n  - sleep: \"5\\nseconds\"\n")
        #expect(found.count == 1)
        #expect(found.first?.description.contains("\n") == false)
        #expect(found.first?.message.contains("'5\\nseconds'") == true)
    }

    @Test func hintsTheNearestKey() {
        let found = problems("name: t\ntargets: {vm: {connect: /s}}\nsteps:\n  - execute: x\n    argumnets: {}\n")
        #expect(found.first?.message == "unknown key 'argumnets' in a step (did you mean 'arguments'?)")
        #expect(found.first?.location?.column == 5)
    }

    @Test func saysWhichActionAKeyBelongsTo() {
        let found = problems("name: t\ntargets: {vm: {connect: /s}}\nsteps:\n  - sleep: 1s\n    match: {}\n")
        #expect(found.first?.message == "'match' does not apply to a sleep step")
    }

    @Test func reportsFileProblemsWithoutALocation() {
        guard case .failure(let problems) = PlaybookLoader.load(path: "/nonexistent/book.yaml") else {
            Issue.record("loaded a missing file")
            return
        }
        #expect(problems.diagnostics.count == 1)
        #expect(problems.diagnostics[0].location == nil)
        #expect(problems.diagnostics[0].message.contains("no such file"))
    }

    @Test func refusesOversizedInput() {
        let bytes = [UInt8](repeating: UInt8(ascii: "#"), count: YAMLLimits.maximumFileSize + 1)
        guard case .failure(let problems) = PlaybookLoader.load(bytes: bytes, path: "big.yaml") else {
            Issue.record("loaded an oversized file")
            return
        }
        #expect(problems.diagnostics[0].message.contains("larger than 8 MiB"))
    }
}
