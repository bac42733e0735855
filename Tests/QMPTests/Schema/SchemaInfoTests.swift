import Testing
import QMP

@Suite struct SchemaInfoTests {
    @Test func parsesEveryMetaType() throws {
        let entries: [JSONValue] = [
            ["name": "str", "meta-type": "builtin", "json-type": "string"],
            ["name": "1", "meta-type": "enum", "values": ["a", "b"]],
            ["name": "2", "meta-type": "enum", "members": [["name": "x"], ["name": "y", "features": ["deprecated"]]], "values": ["x", "y"]],
            ["name": "[str]", "meta-type": "array", "element-type": "str"],
            ["name": "3", "meta-type": "object", "tag": "kind",
             "members": [["name": "kind", "type": "1"], ["name": "note", "type": "str", "default": nil]],
             "variants": [["case": "a", "type": "0"]]],
            ["name": "0", "meta-type": "object", "members": []],
            ["name": "4", "meta-type": "alternate", "members": [["type": "str"], ["type": "3"]]],
            ["name": "do-it", "meta-type": "command", "arg-type": "3", "ret-type": "0", "allow-oob": true, "features": ["unstable"]],
            ["name": "DONE", "meta-type": "event", "arg-type": "0"],
        ]
        let schema = try QMPSchema(parsing: JSONValue.array(entries))
        #expect(schema.entries.count == entries.count)
        #expect(schema.unresolvedReferences().isEmpty)
        #expect(schema.type(named: "str")?.metaType == .builtin(.init(jsonType: .string)))
        guard case .enum(let old)? = schema.type(named: "1")?.metaType,
              case .enum(let new)? = schema.type(named: "2")?.metaType,
              case .object(let object)? = schema.type(named: "3")?.metaType,
              case .alternate(let alternate)? = schema.type(named: "4")?.metaType
        else {
            Issue.record("meta-types not parsed")
            return
        }
        #expect(old.values == ["a", "b"])
        #expect(new.values == ["x", "y"])
        #expect(new.members[1].features == ["deprecated"])
        #expect(object.tag == "kind")
        #expect(object.members.map(\.isOptional) == [false, true])
        #expect(object.members[1].defaultValue == nil)
        #expect(object.variants == [.init(case: "a", type: "0")])
        #expect(alternate.members == ["str", "3"])
        #expect(schema.command(named: "do-it") == .init(argumentType: "3", returnType: "0", allowsOutOfBand: true))
        #expect(schema.entry(command: "do-it")?.features == ["unstable"])
        #expect(schema.event(named: "DONE") == .init(argumentType: "0"))
        #expect(schema.type(named: "do-it") == nil)
    }

    @Test func keepsAnUnknownMetaType() throws {
        let entry = try SchemaInfo(introspected: ["name": "9", "meta-type": "hologram"])
        #expect(entry.metaType == .unknown("hologram"))
    }

    @Test func rejectsMalformedEntries() {
        #expect(throws: SchemaError.self) { try SchemaInfo(introspected: ["meta-type": "builtin", "json-type": "string"]) }
        #expect(throws: SchemaError.self) { try SchemaInfo(introspected: ["name": "x", "meta-type": "object", "members": [["name": "m"]]]) }
        #expect(throws: SchemaError.self) { try SchemaInfo(introspected: ["name": "x", "meta-type": "builtin", "json-type": "quaternion"]) }
        #expect(throws: SchemaError.self) { try SchemaInfo(introspected: "not an object") }
        #expect(throws: SchemaError.self) { try QMPSchema(parsing: JSONValue.object(["return": []])) }
        #expect(throws: SchemaError.self) { try QMPSchema(parsing: Array("[{\"name\": ".utf8)) }
    }

    @Test func reportsReferencesThatNameNoType() throws {
        let schema = try QMPSchema(parsing: [
            ["name": "cmd", "meta-type": "command", "arg-type": "5", "ret-type": "0"],
            ["name": "0", "meta-type": "object", "members": [], "tag": "gone"],
        ] as JSONValue)
        #expect(schema.unresolvedReferences().sorted() == ["0: tag gone", "cmd: 5"])
    }

    @Test func recordedFixtureHasOverAThousandEntriesAllResolved() throws {
        let schema = try SchemaFixture.load()
        #expect(schema.entries.count > 1000)
        #expect(schema.unresolvedReferences() == [])
        #expect(schema.commandNames.count > 200)
        #expect(schema.eventNames.contains("DEVICE_DELETED"))
        // Every command's arguments and every event's data are objects.
        for name in schema.commandNames {
            let command = try #require(schema.command(named: name))
            guard case .object? = schema.type(named: command.argumentType)?.metaType else {
                Issue.record("\(name): arg-type \(command.argumentType) is not an object")
                continue
            }
        }
        for name in schema.eventNames {
            let event = try #require(schema.event(named: name))
            guard case .object? = schema.type(named: event.argumentType)?.metaType else {
                Issue.record("\(name): arg-type \(event.argumentType) is not an object")
                continue
            }
        }
    }

    @Test func resolvesMaskedNamesOfTheFixture() throws {
        let schema = try SchemaFixture.load()
        let getfd = try #require(schema.command(named: "getfd"))
        #expect(Int(getfd.argumentType) != nil, "non-builtin type names are masked numbers")
        guard case .object(let arguments)? = schema.type(named: getfd.argumentType)?.metaType else {
            Issue.record("getfd's arguments are not an object")
            return
        }
        #expect(arguments.members.map(\.name) == ["fdname"])
        #expect(schema.type(named: arguments.members[0].type)?.metaType == .builtin(.init(jsonType: .string)))
    }
}
