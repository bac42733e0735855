import Foundation
import QMP

/// The schema recorded from the QEMU installed here (`qmp-schema-7.2.22.json`).
enum SchemaFixture {
    static let fileName = "qmp-schema-7.2.22"

    /// The fixture's JSON text.
    static func bytes() throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: fileName, withExtension: "json", subdirectory: "Fixtures") else {
            throw SchemaError("fixture \(fileName).json is not in the test bundle")
        }
        return Array(try Data(contentsOf: url))
    }

    /// The fixture parsed once for all tests.
    static let schema: Result<QMPSchema, any Error> = Result { try QMPSchema(parsing: try bytes()) }

    static func load() throws -> QMPSchema { try schema.get() }

    /// What the playbook layer will say: a string holding `${` is known only at run time.
    static let isDeferred: @Sendable (JSONValue) -> Bool = { $0.stringValue?.contains("${") == true }
}
