import Foundation
import QEMUTestSupport
import Testing

/// What `--tag`, `--skip-tag`, `--start-at` and `--keep-run-dir --quiet` get
/// when they name nothing the playbook has, through the built binary.
@Suite(.timeLimit(.minutes(2)))
struct RunSelectionTests {
    private static let playbook = """
        name: selection
        targets:
          vm: {connect: /nonexistent/qmp.sock}
        steps:
          - {id: first, log: one, tags: [a]}
        always:
          - {id: cleanup, log: done, tags: [b]}
        """

    private static func run(_ arguments: [String]) async throws -> ProgramOutput {
        let fixture = try RunFixture(playbook)
        let output = try await runProgram(try Executables.qmpbook, ["run", fixture.playbook, "--report", fixture.reportPath] + arguments)
        #expect(!FileManager.default.fileExists(atPath: fixture.reportPath), "nothing runs, so no report is written")
        return output
    }

    @Test func tagThatSelectsNoStepExits2() async throws {
        let output = try await Self.run(["--tag", "nope"])
        #expect(output.status == 2)
        #expect(output.standardError == "qmpbook: --tag nope: no step has tag 'nope'\n")
    }

    @Test func skipTagNamingAnUnknownTagExits2() async throws {
        let output = try await Self.run(["--skip-tag", "a", "--skip-tag", "typo"])
        #expect(output.status == 2)
        #expect(output.standardError == "qmpbook: --skip-tag typo: no step has tag 'typo'\n")
    }

    @Test func startAtAnAlwaysStepSaysSo() async throws {
        let output = try await Self.run(["--start-at", "cleanup"])
        #expect(output.status == 2)
        #expect(output.standardError == "qmpbook: --start-at cleanup: that is an 'always' step, which runs anyway; name a step of 'steps'\n")
    }

    @Test func keepRunDirectoryWithQuietStillPrintsThePath() async throws {
        let fixture = try RunFixture("""
            name: kept
            targets:
              vm: {launch: \(RunFixture.qemu)}
            steps:
              - log: one
            """)
        let output = try await runProgram(
            try Executables.qmpbook, ["run", fixture.playbook, "--report", fixture.reportPath, "--keep-run-dir", "--quiet"],
            environment: ["TMPDIR": fixture.folder.path])
        #expect(output.status == 0, "\(output.standardError)")
        let line = (output.standardOutput + output.standardError).split(separator: "\n").first { $0.contains("run directory kept: ") }
        let path = try #require(line.map { String($0.split(separator: " ").last ?? "") })
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(path.hasPrefix(fixture.folder.path))
    }
}
