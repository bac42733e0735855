import Foundation
import QEMUTestSupport
import Testing

/// Runs the built `qmpbook` binary (next to the test bundle) for the check and schema tests.
enum CheckCommandRunner {
    struct Outcome {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    static var binary: URL {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return bundle.deletingLastPathComponent().appendingPathComponent("qmpbook")
    }

    /// The repository's root, from this source file's place.
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func run(_ arguments: [String], executable: URL = binary) async throws -> Outcome {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let outputURL = folder.appendingPathComponent("stdout")
        let errorURL = folder.appendingPathComponent("stderr")
        try Data().write(to: outputURL)
        try Data().write(to: errorURL)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let status = await exitStatus(of: process, killingAfter: .seconds(120))
        try output.close()
        try error.close()
        return Outcome(status: status,
                       standardOutput: try String(contentsOf: outputURL, encoding: .utf8),
                       standardError: try String(contentsOf: errorURL, encoding: .utf8))
    }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qmpbook-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

@Suite(.timeLimit(.minutes(2)))
struct CheckCommandTests {
    struct BadInput: CustomTestStringConvertible, Sendable {
        var label: String
        var text: String
        var line: Int
        var column: Int
        var message: String

        var testDescription: String { label }
    }

    static let header = "name: t\ntargets:\n  vm: {connect: /tmp/q.sock}\nsteps:\n"

    static let badInputs: [BadInput] = [
        BadInput(label: "YAML syntax error", text: "name: t\ntargets: {vm: {connect: /s}\nsteps: []\n", line: 3, column: 1,
                 message: "did not find expected ',' or '}'"),
        BadInput(label: "unknown top-level key", text: header + "  - log: x\nstepz: []\n", line: 6, column: 1,
                 message: "unknown key 'stepz' at the top level of a playbook (did you mean 'steps'?)"),
        BadInput(label: "unknown step key", text: header + "  - execute: x\n    argumnts: {}\n", line: 6, column: 5,
                 message: "unknown key 'argumnts' in a step (did you mean 'arguments'?)"),
        BadInput(label: "unknown target key", text: "name: t\ntargets:\n  vm: {connect: /s, timout: 1s}\nsteps: [{log: x}]\n",
                 line: 3, column: 21, message: "unknown key 'timout' in target 'vm' (did you mean 'timeout'?)"),
        BadInput(label: "wrong type for name", text: "name: [a]\ntargets: {vm: {connect: /s}}\nsteps: [{log: x}]\n",
                 line: 1, column: 7, message: "name must be text, not a list"),
        BadInput(label: "wrong type for steps", text: "name: t\ntargets: {vm: {connect: /s}}\nsteps: {log: x}\n",
                 line: 3, column: 8, message: "steps must be a list, not a map"),
        BadInput(label: "wrong type for arguments", text: header + "  - execute: x\n    arguments: [1]\n", line: 6, column: 16,
                 message: "arguments must be a map, not a list"),
        BadInput(label: "wrong type for ignore-errors", text: header + "  - execute: x\n    ignore-errors: yes\n", line: 6, column: 20,
                 message: "ignore-errors must be true or false, not a string"),
        BadInput(label: "missing name", text: "targets: {vm: {connect: /s}}\nsteps: [{log: x}]\n", line: 1, column: 1,
                 message: "the playbook needs 'name'"),
        BadInput(label: "missing targets", text: "name: t\nsteps: [{log: x}]\n", line: 1, column: 1,
                 message: "the playbook needs 'targets'"),
        BadInput(label: "empty steps", text: "name: t\ntargets: {vm: {connect: /s}}\nsteps: []\n", line: 3, column: 8,
                 message: "'steps' needs at least one step"),
        BadInput(label: "two actions", text: header + "  - execute: x\n    sleep: 1s\n", line: 6, column: 5,
                 message: "a step has exactly one action, but this one has execute and sleep"),
        BadInput(label: "no action", text: header + "  - name: nothing\n", line: 5, column: 5,
                 message: "a step needs one action: execute, wait-event, sleep, hmp, log, command, set, assert, fail, start, stop, agent, guest-exec, wait-console, send-console, block or include"),
        BadInput(label: "duplicate id", text: header + "  - {log: a, id: one}\n  - {log: b, id: one}\n", line: 6, column: 18,
                 message: "duplicate step id 'one' (first used at line 5)"),
        BadInput(label: "since unknown step", text: header + "  - wait-event: E\n    since: nowhere\n", line: 6, column: 12,
                 message: "since names step 'nowhere', but no step has that id"),
        BadInput(label: "since later step", text: header + "  - wait-event: E\n    since: later\n  - {log: x, id: later}\n", line: 6, column: 12,
                 message: "since names step 'later', which comes after this one"),
        BadInput(label: "undefined target", text: header + "  - execute: x\n    target: vn\n", line: 6, column: 13,
                 message: "undefined target 'vn' (did you mean 'vm'?)"),
        BadInput(label: "undefined default target", text: "name: t\ndefaults: {target: nope}\ntargets: {vm: {connect: /s}}\nsteps: [{log: x}]\n",
                 line: 2, column: 20, message: "undefined target 'nope'"),
        BadInput(label: "target needed", text: "name: t\ntargets: {a: {connect: /s}, b: {connect: /t}}\nsteps:\n  - execute: x\n",
                 line: 4, column: 5, message: "this step needs 'target'"),
        BadInput(label: "unset environment variable", text: "name: t\ntargets: {vm: {connect: \"${env.QMPBOOK_SURELY_UNSET}\"}}\nsteps:\n  - log: x\n",
                 line: 2, column: 28, message: "environment variable 'QMPBOOK_SURELY_UNSET' is not set (in '${env.QMPBOOK_SURELY_UNSET}')"),
        BadInput(label: "daemonized launch", text: "name: t\ntargets:\n  vm: {launch: [qemu-system-x86_64, -S, -daemonize]}\nsteps:\n  - log: x\n",
                 line: 3, column: 41, message: "launch: remove -daemonize: qmpbook owns the QEMU it launches and must see that process exit"),
        BadInput(label: "undefined variable", text: "name: t\nvars: {dev: d}\ntargets: {vm: {connect: /s}}\nsteps:\n  - execute: x\n    arguments: {id: \"${devv}\"}\n",
                 line: 6, column: 24, message: "undefined variable 'devv' in '${devv}' (did you mean 'dev'?)"),
        BadInput(label: "register used before it is set", text: header + "  - log: \"${reply}\"\n  - execute: x\n    register: reply\n",
                 line: 5, column: 13, message: "undefined variable 'reply'"),
        BadInput(label: "unknown built-in", text: header + "  - log: \"${run.folder}\"\n", line: 5, column: 13,
                 message: "'${run.folder}' is not defined: the built-ins are ${run.dir}, ${run.id}, ${run.started}"),
        BadInput(label: "malformed template", text: header + "  - log: \"${oops\"\n", line: 5, column: 11,
                 message: "unterminated '${'"),
        BadInput(label: "bad duration", text: header + "  - sleep: 5 seconds\n", line: 5, column: 12,
                 message: "sleep: '5 seconds' is not a duration"),
        BadInput(label: "bad timeout", text: header + "  - execute: x\n    timeout: -1s\n", line: 6, column: 14,
                 message: "timeout: '-1s' is negative; a duration is 0 or more"),
        BadInput(label: "bad address", text: "name: t\ntargets:\n  vm: {connect: \"ftp:host\"}\nsteps: [{log: x}]\n",
                 line: 3, column: 17, message: "connect: invalid address 'ftp:host'"),
        BadInput(label: "bad listen address", text: "name: t\ntargets:\n  vm: {listen: \"tcp:nohost\"}\nsteps: [{log: x}]\n",
                 line: 3, column: 16, message: "listen: invalid address 'tcp:nohost'"),
        BadInput(label: "two target modes", text: "name: t\ntargets:\n  vm: {connect: /s, listen: /t}\nsteps: [{log: x}]\n",
                 line: 3, column: 21, message: "target 'vm' has both connect and listen"),
        BadInput(label: "bad fd mode", text: header + "  - execute: getfd\n    fd: {path: /tmp/x, mode: rw}\n", line: 6, column: 30,
                 message: "fd.mode 'rw' is not one of read, write, read-write, append"),
        BadInput(label: "bad fd perm", text: header + "  - execute: getfd\n    fd: {path: /tmp/x, perm: 0999}\n", line: 6, column: 30,
                 message: "fd.perm must be octal permission bits"),
        BadInput(label: "bad pattern operator", text: header + "  - wait-event: E\n    match: {device: {$regx: t}}\n", line: 6, column: 22,
                 message: "in match: unknown operator '$regx' (did you mean '$regex'?)"),
        BadInput(label: "key for another action", text: header + "  - sleep: 1s\n    arguments: {}\n", line: 6, column: 5,
                 message: "'arguments' does not apply to a sleep step"),
        BadInput(label: "duplicate map key", text: header + "  - execute: x\n    execute: y\n", line: 6, column: 5,
                 message: "duplicate key 'execute' in this map"),
        BadInput(label: "vars in a cycle", text: "name: t\nvars: {a: \"${b}\", b: \"x-${c}\", c: \"${a + 1}\", d: \"${d}\"}\ntargets:\n  vm: {connect: /s}\nsteps: [{log: x}]\n",
                 line: 2, column: 8, message: "vars refer to each other through ${…} and can never be computed: a → b → c → a"),
        BadInput(label: "a var that refers to itself", text: "name: t\nvars: {d: \"${d}\"}\ntargets:\n  vm: {connect: /s}\nsteps: [{log: x}]\n",
                 line: 2, column: 8, message: "vars refer to each other through ${…} and can never be computed: d → d"),
        BadInput(label: "member of a text var", text: "name: t\nvars: {t: text}\ntargets:\n  vm: {connect: /s}\nsteps: [{log: \"${t.key}\"}]\n",
                 line: 5, column: 18, message: "'${t.key}': 't' is a string (\"text\") in vars, which has no 'key': only maps and lists have members"),
        BadInput(label: "empty launch program", text: "name: t\ntargets:\n  vm: {launch: [\"\", -S]}\nsteps: [{log: x}]\n",
                 line: 3, column: 17, message: "launch needs a program name, not an empty string"),
        BadInput(label: "second document", text: header + "  - log: x\n---\nname: u\n", line: 6, column: 1,
                 message: "a playbook is one YAML document"),
        BadInput(label: "tab indentation", text: "name: t\ntargets:\n\tvm: {connect: /s}\nsteps: [{log: x}]\n", line: 3, column: 1,
                 message: "tab character used for indentation"),
        BadInput(label: "undefined alias", text: header + "  - *step\n", line: 5, column: 5,
                 message: "alias *step names no anchor defined before it"),
        BadInput(label: "alias bomb", text: aliasBomb, line: 7, column: 8,
                 message: "aliases expand to more than"),
        BadInput(label: "not UTF-8", text: "name: caf\u{FFFD}\n", line: 1, column: 10,
                 message: "not valid UTF-8"),
        BadInput(label: "empty file", text: "", line: 1, column: 1,
                 message: "the file holds no YAML document"),
        BadInput(label: "wrong version", text: "version: 2\n" + header + "  - log: x\n", line: 1, column: 10,
                 message: "this qmpbook reads playbook format version 1, not 2"),
    ]

    static let aliasBomb: String = {
        var text = "name: lol\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
            previous = name
        }
        return text
    }()

    private func write(_ text: String, named name: String = "book.yaml", in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        var bytes = Array(text.utf8)
        // The "not UTF-8" case: a Latin-1 é where the replacement character stands.
        if let range = bytes.firstRange(of: Array("\u{FFFD}".utf8)) { bytes.replaceSubrange(range, with: [0xE9]) }
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test(arguments: badInputs)
    func badInputIsReportedAtItsLineAndColumn(input: BadInput) async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(input.text, in: folder)
        let outcome = try await CheckCommandRunner.run(["check", path])
        #expect(outcome.status == 2)
        let expected = "\(path):\(input.line):\(input.column): "
        let line = outcome.standardError.split(separator: "\n").first { $0.hasPrefix(expected) }
        #expect(line?.contains(input.message) == true, "expected \(expected)…\(input.message) in:\n\(outcome.standardError)")
        #expect(outcome.standardOutput.isEmpty)
    }

    @Test func validPlaybookExitsZeroWithOneLineSummary() async throws {
        let path = Self.repository("Playbooks/usb-hotplug.yaml")
        let outcome = try await CheckCommandRunner.run(["check", path])
        #expect(outcome.status == 0)
        #expect(outcome.standardOutput == "\(path): ok (9 steps, 1 target)\n")
        #expect(outcome.standardError.isEmpty)
    }

    @Test func listsEveryProblemOfEveryPlaybook() async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try write(Self.header + "  - execute: x\n    argumnts: {}\n  - sleep: soon\n", named: "a.yaml", in: folder)
        let good = try write(Self.header + "  - log: fine\n", named: "b.yaml", in: folder)
        let second = try write(Self.header + "  - log: \"${nope}\"\n", named: "c.yaml", in: folder)
        let outcome = try await CheckCommandRunner.run(["check", first, good, second])
        #expect(outcome.status == 2)
        let lines = outcome.standardError.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("\(first):6:5: "))
        #expect(lines[1].hasPrefix("\(first):7:12: "))
        #expect(lines[2].hasPrefix("\(second):5:13: "))
        #expect(lines[3] == "qmpbook: 3 problems in 2 of 3 playbooks")
    }

    @Test func aDuplicateKeyDoesNotHideTheProblemsAfterIt() async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(
            Self.header + "  - execute: x\n    execute: y\n  - sleep: soon\n  - log: \"${nope}\"\n", named: "d.yaml", in: folder)
        let outcome = try await CheckCommandRunner.run(["check", path])
        #expect(outcome.status == 2)
        let lines = outcome.standardError.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.first == "\(path):6:5: duplicate key 'execute' in this map (the first one counts)")
        #expect(lines.contains { $0.hasPrefix("\(path):7:12: sleep:") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("\(path):8:13: undefined variable 'nope'") }, "\(lines)")
        #expect(lines.last == "qmpbook: 3 problems")
    }

    @Test func missingFileIsExitTwo() async throws {
        let outcome = try await CheckCommandRunner.run(["check", "/nonexistent/book.yaml"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("/nonexistent/book.yaml: no such file"))
    }

    @Test func folderIsExitTwo() async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let outcome = try await CheckCommandRunner.run(["check", folder.path])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("is a folder"))
    }

    @Test func unreadableFileIsExitTwo() async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(Self.header + "  - log: x\n", in: folder)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path)
        // root reads any file: then /proc/self/mem (open succeeds, read fails) stands in.
        let unreadable = getuid() == 0 ? "/proc/self/mem" : path
        let outcome = try await CheckCommandRunner.run(["check", unreadable])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.hasPrefix("\(unreadable): cannot be read: "))
    }

    @Test func hugeFileIsRefused() async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("huge.yaml").path
        try Data(repeating: UInt8(ascii: "#"), count: 9 << 20).write(to: URL(fileURLWithPath: path))
        let outcome = try await CheckCommandRunner.run(["check", path])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("larger than 8 MiB"))
    }

    @Test func varDefinesAVariable() async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(Self.header + "  - log: \"${who}\"\n", in: folder)
        #expect(try await CheckCommandRunner.run(["check", path]).status == 2)
        #expect(try await CheckCommandRunner.run(["check", path, "--var", "who=me"]).status == 0)
        let bad = try await CheckCommandRunner.run(["check", path, "--var", "who"])
        #expect(bad.status == 2)
        #expect(bad.standardError.contains("write NAME=VALUE"))
    }

    @Test func noPlaybookIsABadInvocation() async throws {
        #expect(try await CheckCommandRunner.run(["check"]).status == 2)
    }

    @Test func everyPlaybookInPlaybooksIsValid() async throws {
        let folder = URL(fileURLWithPath: Self.repository("Playbooks"))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        #expect(!files.isEmpty)
        let outcome = try await CheckCommandRunner.run(["check"] + files.map { folder.appendingPathComponent($0).path })
        #expect(outcome.status == 0, "\(outcome.standardError)")
    }

    static func repository(_ path: String) -> String {
        CheckCommandRunner.repository.appendingPathComponent(path).path
    }
}
