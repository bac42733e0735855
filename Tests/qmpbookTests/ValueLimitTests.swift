import Foundation
import QEMUTestSupport
import Testing

/// Values qmpbook cannot represent or send, through the built binary:
/// each is exit 2 with a message that says what is wrong, never a crash.
@Suite(.timeLimit(.minutes(2)))
struct ValueLimitTests {
    /// A playbook whose target is never reached: the checks come first.
    private static func playbook(target: String = "", arguments: String = "{}", fd: String = "") -> String {
        """
        name: limits
        targets:
          vm:
            connect: /nonexistent/qmp.sock
        \(target)
        steps:
          - id: first
            execute: query-status
            arguments: \(arguments)
        \(fd)
        always:
          - id: cleanup
            log: done
        """
    }

    private static func write(_ text: String, in directory: TemporaryDirectory, bytes prefix: [UInt8] = []) throws -> String {
        let path = directory.file("limits.yaml")
        try Data(prefix + Array(text.utf8)).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs qmpbook with `$TMPDIR` inside `directory`, so a run folder left behind would be seen.
    private static func qmpbook(_ arguments: [String], in directory: TemporaryDirectory) async throws -> ProgramOutput {
        let scratch = directory.file("tmp")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let output = try await runProgram(try Executables.qmpbook, arguments, environment: ["TMPDIR": scratch])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty, "a run folder was left behind")
        return output
    }

    @Test func hugeTargetTimeoutIsRefusedNamingTheLongestAccepted() async throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write(Self.playbook(target: "    timeout: 1e10"), in: directory)
        for command in ["check", "run"] {
            let output = try await Self.qmpbook([command, path], in: directory)
            #expect(output.status == 2)
            #expect(output.standardError.contains("limits.yaml:5:14: timeout: '1e10' is longer than 8760h (365 days), the longest duration accepted"))
        }
    }

    @Test func hugeRunTimeoutIsRefusedBeforeAnythingStarts() async throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write(Self.playbook(), in: directory)
        let output = try await Self.qmpbook(["run", path, "--timeout", "2562047h"], in: directory)
        #expect(output.status == 2)
        #expect(output.standardError == "qmpbook: --timeout: '2562047h' is longer than 8760h (365 days), the longest duration accepted\n")
    }

    @Test func negativeRunTimeoutSaysItIsNegative() async throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write(Self.playbook(), in: directory)
        let output = try await Self.qmpbook(["run", path, "--timeout", "-5s"], in: directory)
        #expect(output.status == 2)
        #expect(output.standardError == "qmpbook: --timeout: '-5s' is negative; a duration is 0 or more\n")
    }

    @Test(arguments: ["exec", "events"])
    func hugeMonitorCommandTimeoutIsRefused(command: String) async throws {
        let directory = try TemporaryDirectory()
        let arguments = command == "exec" ? ["exec", "/nonexistent/qmp.sock", "query-status"] : ["events", "/nonexistent/qmp.sock"]
        let output = try await Self.qmpbook(arguments + ["--timeout", "9999999999"], in: directory)
        #expect(output.status == 2)
        #expect(output.standardError == "qmpbook: --timeout: '9999999999' is longer than 8760h (365 days), the longest duration accepted\n")
        let negative = try await Self.qmpbook(arguments + ["--timeout", "-1"], in: directory)
        #expect(negative.status == 2)
        #expect(negative.standardError == "qmpbook: --timeout: '-1' is negative; a duration is 0 or more\n")
    }

    @Test func numbersJSONCannotCarryAreProblemsAtTheirPosition() async throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write(Self.playbook(arguments: "{a: 1e400, b: .nan, c: -.inf, d: \"1e400\"}"), in: directory)
        let output = try await Self.qmpbook(["check", path], in: directory)
        #expect(output.status == 2)
        #expect(output.standardError.contains("limits.yaml:9:20: '1e400' is a number too large for JSON (beyond ±1.8e308); quote it to mean the text"))
        #expect(output.standardError.contains("limits.yaml:9:30: '.nan' is not a number JSON can carry (NaN); quote it to mean the text"))
        #expect(output.standardError.contains("limits.yaml:9:39: '-.inf' is a number too large for JSON"))
        #expect(!output.standardError.contains("'\"1e400\"'"))
        #expect(output.standardError.contains("3 problems"))
    }

    @Test(arguments: ["x=1e400", "x=.inf", "x=.nan"])
    func varNumbersJSONCannotCarryAreRefused(argument: String) async throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write(Self.playbook(), in: directory)
        let output = try await Self.qmpbook(["run", path, "--var", argument], in: directory)
        #expect(output.status == 2)
        let text = String(argument.dropFirst(2))
        #expect(output.standardError.hasPrefix("qmpbook: --var x: '\(text)' is "))
        #expect(output.standardError.contains("quote it to mean the text"))
    }

    /// `--var` values are printed back by a `log` step, in a run against a real QEMU.
    @Test(arguments: [("msg=step 2: done", "step 2: done"), ("x=#42", "#42"), ("q='a: b'", "a: b"), ("n=[1, 2]", "[1, 2]")])
    func varIsOneScalar(argument: String, expected: String) async throws {
        let directory = try TemporaryDirectory()
        let name = String(argument.prefix { $0 != "=" })
        let path = directory.file("var.yaml")
        try """
        name: var
        targets:
          vm:
            launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -S]
        steps:
          - log: "value=${\(name)}"
        """.write(toFile: path, atomically: false, encoding: .utf8)
        let output = try await Self.qmpbook(["run", path, "--var", argument, "--report", directory.file("r.json")], in: directory)
        #expect(output.status == 0, "\(output.standardError)")
        let report = try String(contentsOfFile: directory.file("r.json"), encoding: .utf8)
        #expect(report.contains("value=\(expected)"))
    }

    @Test func byteOrderMarkIsAccepted() async throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write(Self.playbook(), in: directory, bytes: [0xEF, 0xBB, 0xBF])
        let output = try await Self.qmpbook(["check", path], in: directory)
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardError.contains("ok (2 steps, 1 target)") || output.standardOutput.contains("ok (2 steps, 1 target)"))
    }

    @Test func fileDescriptorPermissionsAboveOctal777AndEmptyPathsAreRefused() async throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write(Self.playbook(fd: "    fd: {path: \"\", mode: write, create: true, perm: 04777}"), in: directory)
        let output = try await Self.qmpbook(["check", path], in: directory)
        #expect(output.status == 2)
        #expect(output.standardError.contains("limits.yaml:10:16: fd.path is empty; name the file to open"))
        #expect(output.standardError.contains("limits.yaml:10:53: fd.perm must be octal permission bits from 0000 to 0777 such as 0600, 0o600 or \"0600\", not '04777'"))
    }

    @Test func helpOnAnUnknownSubcommandExits2() async throws {
        let directory = try TemporaryDirectory()
        let output = try await Self.qmpbook(["help", "nope"], in: directory)
        #expect(output.status == 2)
        #expect(output.standardError.contains("help: 'nope' is not a subcommand; the subcommands are run, check"))
    }

    @Test func execWithAnEmptyCommandExits2BeforeConnecting() async throws {
        let directory = try TemporaryDirectory()
        let output = try await Self.qmpbook(["exec", "/nonexistent/qmp.sock", ""], in: directory)
        #expect(output.status == 2)
        #expect(output.standardError == "qmpbook: COMMAND is empty: name a QMP command, such as query-status\n")
    }
}
