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

    @Test func theInventorySchemaAcceptsGoodInventoriesAndRejectsBadOnes() async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let outcome = try await CheckCommandRunner.run(["schema", "--inventory"])
        #expect(outcome.status == 0)
        let schema = folder.appendingPathComponent("inventory.json").path
        try Data(outcome.standardOutput.utf8).write(to: URL(fileURLWithPath: schema))
        let good = folder.appendingPathComponent("good.yaml").path
        try """
            members:
              web-01: {targets: {vm: {libvirt: {uri: "qemu+tcp://h1/system", domain: web-01}}}, vars: {disk: vda}}
              web-02: {targets: {vm: {connect: unix:/run/qemu/web-02.qmp}}}
              local:
              ci-*: {count: 20, targets: {vm: {launch: [qemu-system-x86_64, -M, pc, -S]}}}
            from-libvirt:
              - {uri: "qemu+tcp://h2/system", domains: {$regex: "^db-"}, target: vm, timeout: 5s}
            """.write(toFile: good, atomically: false, encoding: .utf8)
        let accepted = try await validate(schema: schema, documents: [good])
        #expect(accepted.status == 0, "\(accepted.standardOutput)\(accepted.standardError)")
        for (index, text) in [
            "members: {a: {colour: red}}\n", "members: {a: {count: 0}}\n", "hosts: {}\n",
            "from-libvirt: [{uri: x, target: vm}]\n", "members: {a: {targets: {vm: {connectt: /s}}}}\n",
        ].enumerated() {
            let path = folder.appendingPathComponent("bad-\(index).yaml").path
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            let rejected = try await validate(schema: schema, documents: [path])
            #expect(rejected.status == 1, "\(text)")
        }
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
