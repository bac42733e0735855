import Foundation
import QEMUTestSupport
import QMP
import Testing

/// The habits of a command-line tool: shell completion of playbook files and
/// enum values (bash, driven as bash drives it, through the script's compgen),
/// and the engine's swift-log output with `--log-level` / `QMPBOOK_LOG_LEVEL`.
@Suite(.timeLimit(.minutes(2))) struct EcosystemTests {
    /// What bash offers for `LINE` (completing its last word) in `folder`, with qmpbook's completion script loaded.
    static func complete(_ line: String, in folder: TemporaryDirectory) async throws -> [String] {
        let script = try await runProgram(try Executables.qmpbook, ["--generate-completion-script", "bash"])
        #expect(script.status == 0)
        let path = folder.file("qmpbook.bash")
        try script.standardOutput.write(toFile: path, atomically: false, encoding: .utf8)
        var words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let current = words.last ?? ""
        let previous = words.count > 1 ? words[words.count - 2] : ""
        words = words.map { "'\($0)'" }
        let driver = """
            cd '\(folder.path)' && source '\(path)'
            COMP_WORDS=(\(words.joined(separator: " "))); COMP_CWORD=\(words.count - 1)
            COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
            _qmpbook qmpbook '\(current)' '\(previous)'
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let output = try await runProgram("/bin/bash", ["-c", driver])
        #expect(output.status == 0, "\(output.standardError)")
        return output.standardOutput.split(separator: "\n").map(String.init).sorted()
    }

    static func folderWithPlaybooks() throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(prefix: "complete")
        for name in ["book.yaml", "other.yml", "notes.txt", "report.json"] {
            try "".write(toFile: folder.file(name), atomically: false, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: folder.file("lab"), withIntermediateDirectories: false)
        return folder
    }

    @Test func runCompletesPlaybookFilesAndFolders() async throws {
        let folder = try Self.folderWithPlaybooks()
        #expect(try await Self.complete("qmpbook run ", in: folder) == ["book.yaml", "lab", "other.yml"])
        #expect(try await Self.complete("qmpbook run bo", in: folder) == ["book.yaml"])
    }

    @Test func checkCompletesPlaybookFilesToo() async throws {
        let folder = try Self.folderWithPlaybooks()
        #expect(try await Self.complete("qmpbook check o", in: folder) == ["other.yml"])
    }

    @Test func colorCompletesItsValues() async throws {
        let folder = try Self.folderWithPlaybooks()
        #expect(try await Self.complete("qmpbook run book.yaml --color ", in: folder) == ["always", "auto", "never"])
        #expect(try await Self.complete("qmpbook run book.yaml --color a", in: folder) == ["always", "auto"])
        #expect(try await Self.complete("qmpbook check book.yaml --format ", in: folder) == ["json", "text"])
    }

    @Test func zshAndFishScriptsAreGenerated() async throws {
        for shell in ["zsh", "fish"] {
            let script = try await runProgram(try Executables.qmpbook, ["--generate-completion-script", shell])
            #expect(script.status == 0)
            #expect(script.standardOutput.contains("yaml"), "\(shell) completes no playbook files")
        }
    }

    @Test func aBadColorIsABadInvocationNamingTheValues() async throws {
        let output = try await runProgram(try Executables.qmpbook, ["run", "book.yaml", "--color", "purple"])
        #expect(output.status == 2)
        #expect(output.standardError.contains("'auto', 'always' or 'never'"), "\(output.standardError)")
    }

    /// A peer that greets, accepts the handshake, then sends a garbage line before answering.
    static func garbagePeer() throws -> ScriptedPeer {
        try ScriptedPeer { connection in
            connection.send(ScriptedPeer.greeting)
            try connection.answerCapabilities()
            connection.send("this is not QMP\r\n")
            guard try connection.answer(#"{"status": "running", "running": true}"#)["execute"] == "query-status" else {
                throw PeerFailure(message: "expected query-status")
            }
            try connection.expectEnd()
        }
    }

    @Test func logLevelShowsTheEnginesMessagesOnStderr() async throws {
        let peer = try Self.garbagePeer()
        defer { peer.stop() }
        let output = try await runProgram(
            try Executables.qmpbook, ["exec", peer.address.description, "query-status", "--log-level", "warning"])
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardError.contains("skipping a line from the QMP peer"), "\(output.standardError)")
        #expect(output.standardError.contains("warning"))
        try await peer.finish()
    }

    @Test func theEnvironmentVariableSetsTheLevelAndTheEngineIsQuietWithout() async throws {
        let peer = try Self.garbagePeer()
        defer { peer.stop() }
        let logged = try await runProgram(
            try Executables.qmpbook, ["exec", peer.address.description, "query-status"], environment: ["QMPBOOK_LOG_LEVEL": "debug"])
        #expect(logged.standardError.contains("skipping a line from the QMP peer"), "\(logged.standardError)")
        let quietPeer = try Self.garbagePeer()
        defer { quietPeer.stop() }
        let quiet = try await runProgram(try Executables.qmpbook, ["exec", quietPeer.address.description, "query-status"])
        #expect(quiet.status == 0)
        #expect(quiet.standardError.isEmpty, "\(quiet.standardError)")
        let above = try Self.garbagePeer()
        defer { above.stop() }
        let error = try await runProgram(
            try Executables.qmpbook, ["exec", above.address.description, "query-status", "--log-level", "error"])
        #expect(!error.standardError.contains("skipping"))
        try await peer.finish()
        try await quietPeer.finish()
        try await above.finish()
    }

    @Test func aBadLogLevelIsABadInvocation() async throws {
        let flag = try await runProgram(try Executables.qmpbook, ["run", "book.yaml", "--log-level", "loud"])
        #expect(flag.status == 2)
        #expect(flag.standardError.contains("--log-level"), "\(flag.standardError)")
        let variable = try await runProgram(
            try Executables.qmpbook, ["run", "book.yaml"], environment: ["QMPBOOK_LOG_LEVEL": "loud"])
        #expect(variable.status == 2)
        #expect(variable.standardError.contains("QMPBOOK_LOG_LEVEL='loud' is not a log level"), "\(variable.standardError)")
    }
}
