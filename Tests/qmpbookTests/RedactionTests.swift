import Foundation
import QEMUTestSupport
import QMP
import Testing

/// `redact: true` against a real QEMU whose error text repeats the step's
/// argument: the value appears in none of qmpbook's outputs.
@Suite(.timeLimit(.minutes(2)))
struct RedactionTests {
    @Test func anErrorTextRepeatingARedactedArgumentIsScrubbedEverywhere() async throws {
        let fixture = try RunFixture("""
            name: secret
            targets:
              vm:
                launch: \(RunFixture.qemu)
            steps:
              - name: plug the secret
                execute: device_add
                arguments: {driver: s3cr3t-model-name}
                redact: true
            """)
        let junit = fixture.folder.file("junit.xml")
        let jsonl = fixture.folder.file("run.jsonl")
        let outcome = try await fixture.run(["--junit", junit, "--jsonl", jsonl, "--no-preflight"])
        #expect(outcome.status == 1)
        let message = try #require(outcome.report.step("plug the secret")?["message"]?.stringValue)
        // QEMU says: 'X' is not a valid device model name.
        #expect(message == "device_add failed: GenericError: '<redacted>' is not a valid device model name", "\(message)")
        let outputs = [
            outcome.standardOutput, outcome.standardError, try fixture.read("report.json"),
            try fixture.read("junit.xml"), try fixture.read("run.jsonl"),
        ]
        for output in outputs {
            #expect(!output.contains("s3cr3t"), "\(output)")
        }
        #expect(outcome.standardError.contains("<redacted>"))
    }
}
