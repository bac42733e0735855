import Testing
import QMP

@Suite struct SchemaMalformedTests {
    @Test func cyclicTypesEndWithoutHangingOrCrashing() throws {
        let schema = try QMPSchema(parsing: [
            ["name": "loop", "meta-type": "command", "arg-type": "0", "ret-type": "0"],
            ["name": "0", "meta-type": "object", "members": [["name": "a", "type": "1", "default": nil], ["name": "kind", "type": "str", "default": nil]],
             "tag": "kind", "variants": [["case": "x", "type": "0"]]],
            ["name": "1", "meta-type": "alternate", "members": [["type": "1"]]],
            ["name": "str", "meta-type": "builtin", "json-type": "string"],
        ] as JSONValue)
        #expect(schema.validate(command: "loop", arguments: ["a": 5]) == [])
        #expect(schema.validate(command: "loop", arguments: ["kind": "x", "a": [1, 2]]) == [])
        #expect(schema.validate(command: "loop", arguments: ["kind": "${k}", "b": 1], isDeferred: { _ in true }) == [])
    }

    @Test func referencesThatNameNoTypeAreNotChecked() throws {
        let schema = try QMPSchema(parsing: [
            ["name": "cmd", "meta-type": "command", "arg-type": "0", "ret-type": "0"],
            ["name": "0", "meta-type": "object", "members": [["name": "a", "type": "99"]]],
            ["name": "future", "meta-type": "command", "arg-type": "7", "ret-type": "7"],
        ] as JSONValue)
        #expect(schema.validate(command: "cmd", arguments: ["a": ["anything": true]]) == [])
        #expect(schema.validate(command: "cmd", arguments: nil).map(\.kind) == [.missingMember])
        #expect(schema.validate(command: "future", arguments: ["whatever": 1]) == [])
    }
}
