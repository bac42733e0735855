import Foundation
import Testing

@Suite(.timeLimit(.minutes(2)))
struct SchemaCommandTests {
    /// Validates `documents` (YAML files) against `schema` with Python's
    /// jsonschema; returns the script's exit status and output.
    private func validate(schema: String, documents: [String]) async throws -> CheckCommandRunner.Outcome {
        let script = """
            import json, sys, yaml, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            bad = 0
            for path in sys.argv[2:]:
                for error in validator.iter_errors(yaml.safe_load(open(path))):
                    bad += 1
                    print(f"{path}: {error.json_path}: {error.message}")
            sys.exit(1 if bad else 0)
            """
        // python3 from PATH: the one .ci/run installed jsonschema for.
        return try await CheckCommandRunner.run(["python3", "-c", script, schema] + documents, executable: URL(fileURLWithPath: "/usr/bin/env"))
    }

    private func writeSchema(in folder: URL) async throws -> String {
        let outcome = try await CheckCommandRunner.run(["schema"])
        #expect(outcome.status == 0)
        let path = folder.appendingPathComponent("schema.json").path
        try Data(outcome.standardOutput.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func printsADraft2020Schema() async throws {
        let outcome = try await CheckCommandRunner.run(["schema"])
        #expect(outcome.status == 0)
        let schema = try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
        #expect(schema?["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        #expect((schema?["required"] as? [String])?.sorted() == ["name", "steps", "targets"])
    }

    @Test func everyPlaybookInPlaybooksValidatesAgainstTheSchema() async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let schema = try await writeSchema(in: folder)
        let playbooks = CheckCommandRunner.repository.appendingPathComponent("Playbooks")
        let files = try FileManager.default.contentsOfDirectory(atPath: playbooks.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { playbooks.appendingPathComponent($0).path }
        #expect(!files.isEmpty)
        let outcome = try await validate(schema: schema, documents: files)
        #expect(outcome.status == 0, "\(outcome.standardOutput)\(outcome.standardError)")
    }

    @Test func schemaRejectsWhatCheckRejects() async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let schema = try await writeSchema(in: folder)
        let bad: [String] = [
            "name: t\ntargets: {vm: {connect: /s}}\nsteps: [{execute: x, sleep: 1s}]\n",
            "name: t\ntargets: {vm: {connect: /s}}\nsteps: [{execute: x, argumnts: {}}]\n",
            "name: t\ntargets: {vm: {connect: /s, listen: /t}}\nsteps: [{log: x}]\n",
            "name: t\ntargets: {vm: {connect: /s}}\nsteps: [{sleep: 5 seconds}]\n",
            "name: t\ntargets: {vm: {connect: /s}}\nsteps: [{execute: getfd, fd: {path: x, mode: rw}}]\n",
            "name: t\ntargets: {vm: {connect: /s}}\nsteps: [{sleep: 1s, match: {}}]\n",
            "targets: {vm: {connect: /s}}\nsteps: [{log: x}]\n",
        ]
        for (index, text) in bad.enumerated() {
            let path = folder.appendingPathComponent("bad\(index).yaml").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let outcome = try await validate(schema: schema, documents: [path])
            #expect(outcome.status == 1 && !outcome.standardOutput.isEmpty, "schema accepted: \(text) \(outcome.standardError)")
        }
    }
}
