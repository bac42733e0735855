import Foundation

/// Validates JUnit XML against the schemas CI systems hold it to: the Jenkins
/// xUnit plugin's JUnit schema and the common JUnit format, both written out
/// under `Fixtures/JUnit/`, checked by Python's `xmlschema` (installed by `.ci/run`).
public enum JUnitSchemas {
    /// The folder of the schemas and the validating script.
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/JUnit")

    public static let jenkins = folder.appendingPathComponent("jenkins-xunit-junit.xsd").path
    public static let common = folder.appendingPathComponent("common-junit.xsd").path

    /// Every problem `xmlschema` finds in the file at `path`, one line each
    /// (`SCHEMA: REASON at PATH`); empty when it is valid against every schema in `schemas`.
    public static func problems(ofFile path: String, against schemas: [String] = [jenkins, common]) async throws -> [String] {
        let script = folder.appendingPathComponent("validate.py").path
        let output = try await runProgram(try Executables.find("python3"), [script, path] + schemas)
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        if output.status != 0, lines.isEmpty {
            return ["the validator failed: \(output.standardError)"]
        }
        return lines
    }

    /// The same, for XML text (written to a temporary file first).
    public static func problems(of xml: String, against schemas: [String] = [jenkins, common]) async throws -> [String] {
        let directory = try TemporaryDirectory(prefix: "junit")
        let path = directory.file("junit.xml")
        try xml.write(toFile: path, atomically: false, encoding: .utf8)
        return try await problems(ofFile: path, against: schemas)
    }
}
