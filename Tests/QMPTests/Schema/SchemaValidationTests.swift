import Testing
import QMP

@Suite struct SchemaValidationTests {
    struct Call: Sendable, CustomTestStringConvertible {
        var command: String
        var arguments: JSONObject?
        var testDescription: String { "\(command) \(arguments.map { JSONValue.object($0).jsonText } ?? "")" }
    }

    static let validCalls: [Call] = [
        Call(command: "query-status", arguments: nil),
        Call(command: "query-status", arguments: [:]),
        Call(command: "device_add", arguments: ["driver": "usb-tablet", "id": "tablet0", "bus": "xhci.0", "port": "1"]),
        Call(command: "device_del", arguments: ["id": "tablet0"]),
        Call(command: "blockdev-add", arguments: [
            "driver": "qcow2", "node-name": "disk0", "read-only": false, "discard": "unmap",
            "file": ["driver": "file", "filename": "/tmp/disk.qcow2", "aio": "threads"],
        ]),
        Call(command: "blockdev-add", arguments: ["driver": "raw", "node-name": "raw0", "file": "disk0"]),
        Call(command: "blockdev-add", arguments: ["driver": "null-co", "node-name": "null0", "size": 1_048_576]),
        Call(command: "migrate-set-capabilities", arguments: [
            "capabilities": [["capability": "xbzrle", "state": true], ["capability": "events", "state": false]],
        ]),
        Call(command: "migrate-set-parameters", arguments: ["max-bandwidth": 1_000_000, "tls-creds": nil]),
        Call(command: "getfd", arguments: ["fdname": "disk-fd"]),
        Call(command: "add-fd", arguments: ["fdset-id": 1, "opaque": "log"]),
        Call(command: "add-fd", arguments: nil),
        Call(command: "qom-set", arguments: ["path": "/machine", "property": "anything", "value": ["any": [1, "shape"]]]),
        Call(command: "object-add", arguments: ["qom-type": "memory-backend-ram", "id": "mem0", "size": 1_048_576]),
        Call(command: "netdev_add", arguments: ["type": "user", "id": "net0"]),
        Call(command: "human-monitor-command", arguments: ["command-line": "info status"]),
    ]

    @Test(arguments: validCalls)
    func validCallPasses(_ call: Call) throws {
        let schema = try SchemaFixture.load()
        let problems = schema.validate(command: call.command, arguments: call.arguments)
        #expect(problems == [], "\(problems.map(\.description))")
    }

    @Test func unknownCommandSuggestsTheNearestName() throws {
        let schema = try SchemaFixture.load()
        let typo = schema.validate(command: "devce_add", arguments: ["driver": "usb-tablet"])
        #expect(typo == [SchemaProblem(kind: .unknownCommand, path: .execute,
                                       message: "unknown command 'devce_add' (did you mean 'device_add'?)",
                                       suggestion: "device_add")])
        #expect(schema.validate(command: "blockdev_add", arguments: nil).first?.suggestion == "blockdev-add")
        #expect(schema.validate(command: "query-stauts", arguments: nil).first?.suggestion == "query-status")
        let far = schema.validate(command: "make-coffee", arguments: nil)
        #expect(far.map(\.kind) == [.unknownCommand])
        #expect(far.first?.suggestion == nil)
    }

    @Test func misspelledArgumentIsUnknownAndTheRealOneMissing() throws {
        let schema = try SchemaFixture.load()
        let problems = schema.validate(command: "getfd", arguments: ["fdnam": "disk"])
        #expect(problems.map(\.kind) == [.unknownMember, .missingMember])
        #expect(problems.map(\.path.description) == ["arguments.fdnam", "arguments.fdname"])
        #expect(problems.first?.suggestion == "fdname")
        #expect(problems.first?.message == "unknown argument 'fdnam' (did you mean 'fdname'?)")
        #expect(problems.last?.message == "missing required argument 'fdname'")
    }

    @Test func missingRequiredArgumentIsReported() throws {
        let schema = try SchemaFixture.load()
        #expect(schema.validate(command: "device_del", arguments: nil)
            == [SchemaProblem(kind: .missingMember, path: ["arguments", "id"], message: "missing required argument 'id'")])
        #expect(schema.validate(command: "device_add", arguments: ["id": "x"]).map(\.path) == [["arguments", "driver"]])
    }

    @Test func stringWhereIntegerExpectedIsAWrongType() throws {
        let schema = try SchemaFixture.load()
        let problems = schema.validate(command: "add-fd", arguments: ["fdset-id": "one"])
        #expect(problems == [SchemaProblem(kind: .wrongType, path: ["arguments", "fdset-id"],
                                           message: #"expected integer, got string "one""#)])
    }

    @Test func integersAndNumbersFollowQEMU() throws {
        let schema = try SchemaFixture.load()
        // An integral double is written as an integer, so QEMU sees one.
        #expect(schema.validate(command: "add-fd", arguments: ["fdset-id": 2.0]) == [])
        #expect(schema.validate(command: "add-fd", arguments: ["fdset-id": 2.5]).map(\.kind) == [.wrongType])
        #expect(schema.validate(command: "add-fd", arguments: ["fdset-id": .uint(UInt64.max)]) == [])
        // A `number` takes integers too.
        #expect(schema.validate(command: "migrate-set-parameters", arguments: ["throttle-trigger-threshold": 50]) == [])
        #expect(schema.validate(command: "migrate-set-parameters", arguments: ["cpu-throttle-tailslow": "yes"]).map(\.kind) == [.wrongType])
    }

    @Test func nullIsNotAnAbsentOptionalMember() throws {
        let schema = try SchemaFixture.load()
        // QEMU 7.2: "Invalid parameter type for 'opaque', expected: string".
        #expect(schema.validate(command: "add-fd", arguments: ["opaque": nil]).map(\.kind) == [.wrongType])
    }

    @Test func enumValueThatDoesNotExistSuggestsAndLists() throws {
        let schema = try SchemaFixture.load()
        let problems = schema.validate(command: "migrate-set-capabilities", arguments: [
            "capabilities": [["capability": "xbzrle", "state": true], ["capability": "auto-converj", "state": true]],
        ])
        #expect(problems.count == 1)
        let problem = try #require(problems.first)
        #expect(problem.kind == .invalidEnumValue)
        #expect(problem.path.description == "arguments.capabilities[1].capability")
        #expect(problem.suggestion == "auto-converge")
        #expect(problem.message.hasPrefix("invalid value 'auto-converj' (did you mean 'auto-converge'?); valid values: xbzrle, "))
        #expect(problem.message.contains("more)"))
        let far = schema.validate(command: "blockdev-add", arguments: ["driver": "null-co", "node-name": "n", "discard": "never"])
        #expect(far.map(\.message) == ["invalid value 'never'; valid values: ignore, unmap"])
        #expect(far.first?.suggestion == nil)
    }

    @Test func nestedFlatUnionMemberIsCheckedByItsTag() throws {
        let schema = try SchemaFixture.load()
        let problems = schema.validate(command: "blockdev-add", arguments: [
            "driver": "qcow2", "node-name": "disk0", "file": ["driver": "file"],
        ])
        #expect(problems == [SchemaProblem(kind: .missingMember, path: ["arguments", "file", "filename"],
                                           message: "missing required member 'filename' (required when driver is 'file')")])
        let misspelled = schema.validate(command: "blockdev-add", arguments: [
            "driver": "qcow2", "node-name": "disk0", "file": ["driver": "file", "filname": "/tmp/x"],
        ])
        #expect(misspelled.map(\.path.description) == ["arguments.file.filname", "arguments.file.filename"])
        #expect(misspelled.first?.suggestion == "filename")
        // A member of another driver's variant is unknown for this one.
        let foreign = schema.validate(command: "blockdev-add", arguments: ["driver": "null-co", "node-name": "n", "filename": "/x"])
        #expect(foreign.map(\.kind) == [.unknownMember])
        #expect(foreign.first?.path == ["arguments", "filename"])
    }

    @Test func invalidUnionTagIsOneProblemNotACascade() throws {
        let schema = try SchemaFixture.load()
        let problems = schema.validate(command: "blockdev-add", arguments: [
            "driver": "qcow3", "node-name": "disk0", "file": "base",
        ])
        #expect(problems.map(\.kind) == [.invalidEnumValue])
        #expect(problems.first?.path == ["arguments", "driver"])
        #expect(problems.first?.suggestion == "qcow2")
    }

    @Test func alternateTakesAValueValidForAnyMember() throws {
        let schema = try SchemaFixture.load()
        // BlockdevRef: a node name (string) or inline options (object).
        #expect(schema.validate(command: "blockdev-add", arguments: ["driver": "raw", "node-name": "r", "file": "base"]) == [])
        let wrong = schema.validate(command: "blockdev-add", arguments: ["driver": "raw", "node-name": "r", "file": 5])
        #expect(wrong == [SchemaProblem(kind: .wrongType, path: ["arguments", "file"],
                                        message: "expected object or string, got integer 5")])
        // An object in the alternate is checked as that member's type.
        let inner = schema.validate(command: "blockdev-add", arguments: ["driver": "raw", "node-name": "r", "file": ["driver": "file", "filename": 3]])
        #expect(inner.map(\.path.description) == ["arguments.file.filename"])
    }

    @Test func reportsEveryProblemInArgumentOrder() throws {
        let schema = try SchemaFixture.load()
        let problems = schema.validate(command: "blockdev-add", arguments: [
            "driver": "qcow2", "node-name": 7, "read-only": "yes", "cahce": ["direct": true],
            "file": ["driver": "file", "aio": "fast"],
        ])
        #expect(problems.map(\.path.description) == [
            "arguments.node-name", "arguments.read-only", "arguments.cahce",
            "arguments.file.aio", "arguments.file.filename",
        ])
        #expect(problems.map(\.kind) == [.wrongType, .wrongType, .unknownMember, .invalidEnumValue, .missingMember])
        #expect(problems[2].suggestion == "cache")
    }

    @Test func deferredValuesAreCheckedForPresenceOnly() throws {
        let schema = try SchemaFixture.load()
        let deferred = SchemaFixture.isDeferred
        #expect(schema.validate(command: "add-fd", arguments: ["fdset-id": "${set.return.fdset-id}"], isDeferred: deferred) == [])
        #expect(schema.validate(command: "migrate-set-capabilities",
                                arguments: ["capabilities": [["capability": "${cap}", "state": "${on}"]]],
                                isDeferred: deferred) == [])
        #expect(schema.validate(command: "migrate-set-capabilities", arguments: ["capabilities": "${caps}"], isDeferred: deferred) == [])
        // Presence still counts.
        #expect(schema.validate(command: "getfd", arguments: ["fdname": "${name}", "extra": "${x}"], isDeferred: deferred).map(\.kind)
            == [.unknownMember])
        // Without the predicate the same strings are checked.
        #expect(schema.validate(command: "add-fd", arguments: ["fdset-id": "${set}"]).map(\.kind) == [.wrongType])
    }

    @Test func deferredUnionTagLeavesTheVariantOpen() throws {
        let schema = try SchemaFixture.load()
        let problems = schema.validate(command: "blockdev-add", arguments: [
            "driver": "${driver}", "node-name": "d", "filename": "/tmp/x", "nonsense": 1,
        ], isDeferred: SchemaFixture.isDeferred)
        // Members of some variant pass unchecked; a member of no variant is still unknown.
        #expect(problems.map(\.path.description) == ["arguments.nonsense"])
    }

    @Test func deviceAddTakesAnyPropertyAndChecksOnlyPresence() throws {
        let schema = try SchemaFixture.load()
        #expect(schema.validate(command: "device_add", arguments: ["driver": "virtio-net-pci", "netdev": "n0", "mac": "52:54:00:12:34:56"]) == [])
        // QEMU accepts `id: 5` for device_add (it reads properties as text).
        #expect(schema.validate(command: "device_add", arguments: ["driver": "usb-tablet", "id": 5]) == [])
        #expect(schema.validate(command: "device_add", arguments: ["bus": "xhci.0"]).map(\.path.description) == ["arguments.driver"])
    }

    @Test func argumentsThatAreNotAnObjectAreAWrongType() throws {
        let schema = try SchemaFixture.load()
        #expect(schema.validate(command: "query-status", argumentsValue: .null).map(\.kind) == [.wrongType])
        #expect(schema.validate(command: "query-status", argumentsValue: ["x"]).map(\.path) == [.arguments])
        #expect(schema.validate(command: "getfd", argumentsValue: "${args}", isDeferred: SchemaFixture.isDeferred) == [])
    }

    @Test func argumentToACommandWithoutArgumentsIsUnknown() throws {
        let schema = try SchemaFixture.load()
        let problems = schema.validate(command: "query-status", arguments: ["verbose": true])
        #expect(problems == [SchemaProblem(kind: .unknownMember, path: ["arguments", "verbose"],
                                           message: "unknown argument 'verbose'; the command takes no arguments")])
    }

    @Test func unknownArgumentWithoutNearNameListsTheArguments() throws {
        let schema = try SchemaFixture.load()
        let problems = schema.validate(command: "device_del", arguments: ["id": "x", "force": true])
        #expect(problems.first?.message == "unknown argument 'force'; expected one of: id")
    }

    @Test func unknownEventIsAProblemWithASuggestion() throws {
        let schema = try SchemaFixture.load()
        #expect(schema.validate(event: "DEVICE_DELETED") == [])
        #expect(schema.validate(event: "DEVICE_DELETD") == [SchemaProblem(
            kind: .unknownEvent, path: .waitEvent,
            message: "unknown event 'DEVICE_DELETD' (did you mean 'DEVICE_DELETED'?)", suggestion: "DEVICE_DELETED")])
        #expect(schema.validate(event: "device_deleted").first?.suggestion == "DEVICE_DELETED")
        #expect(schema.validate(event: "NOT_AN_EVENT_AT_ALL", at: ["wait-event", 1]).map(\.path.description) == ["wait-event[1]"])
    }
}
