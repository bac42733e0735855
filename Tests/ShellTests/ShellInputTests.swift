import Playbook
import QMP
import Testing
@testable import Shell

/// A small schema: `watch` takes an int, a bool, an enum, an object and an optional str.
private let schema: ShellSchema = {
    let entries = [
        SchemaInfo(name: "watch", metaType: .command(.init(argumentType: "1", returnType: "2"))),
        SchemaInfo(name: "watch-less", metaType: .command(.init(argumentType: "2", returnType: "2"))),
        SchemaInfo(name: "1", metaType: .object(.init(members: [
            .init(name: "count", type: "int"),
            .init(name: "flag", type: "bool", isOptional: true),
            .init(name: "mode", type: "3", isOptional: true),
            .init(name: "opts", type: "2", isOptional: true),
            .init(name: "label", type: "str", isOptional: true),
        ]))),
        SchemaInfo(name: "2", metaType: .object(.init(members: []))),
        SchemaInfo(name: "3", metaType: .enum(.init(members: [.init(name: "fast"), .init(name: "slow")]))),
        SchemaInfo(name: "int", metaType: .builtin(.init(jsonType: .int))),
        SchemaInfo(name: "bool", metaType: .builtin(.init(jsonType: .boolean))),
        SchemaInfo(name: "str", metaType: .builtin(.init(jsonType: .string))),
        SchemaInfo(name: "TICK", metaType: .event(.init(argumentType: "2"))),
    ]
    return ShellSchema(schema: QMPSchema(entries: entries))
}()

@Suite struct ShellInputTests {
    @Test func splitsWordsKeepingQuotedTextAndJSONTogether() {
        let (words, open) = ShellWords.split(Array(#"cmd id="a b" opts={"x": "} y", "z": [1, 2]} n=1"#))
        #expect(open == nil)
        #expect(words.map(\.text) == ["cmd", "id=a b", #"opts={"x": "} y", "z": [1, 2]}"#, "n=1"])
        #expect(ShellWords.split(Array(#"cmd opts={"a": 1"#)).open == "an unclosed {")
    }

    @Test func typesKeyValueArgumentsByTheSchema() throws {
        let input = try ShellInput.parse(#"watch count=5 flag=on mode=slow opts={"a": [1, true]} label="two words""#, schema: schema)
        #expect(input == .command("watch", arguments: [
            "count": 5, "flag": true, "mode": "slow", "opts": ["a": [1, true]], "label": "two words",
        ]))
        #expect(try ShellInput.parse(#"{"execute": "watch", "arguments": {"count": 1}}"#, schema: schema)
            == .command("watch", arguments: ["count": 1]))
        #expect(try ShellInput.parse("hmp info  status", schema: schema) == .hmp("info  status"))
        #expect(try ShellInput.parse(":wait TICK 2s", schema: schema) == .wait(event: "TICK", timeout: .seconds(2)))
        #expect(try ShellInput.parse(":mark a ${b}", schema: schema) == .mark("a ${b}"))
        #expect(try ShellInput.parse("  # a comment", schema: schema) == .nothing)
    }

    @Test(arguments: [
        ("watch count=many", "count=many: count is an integer (int)"),
        ("watch count=1 flag=maybe", "flag=maybe: flag is a boolean (true or false)"),
        ("watch count=1 mode=fats", "mode=fats: not a value of mode (did you mean 'fast'?) (Tab lists them)"),
        ("watch count=1 opts=a", "opts=a: opts is an object: write it as JSON, { … }"),
        ("watch cuont=1", "watch has no argument 'cuont' (did you mean 'count'?); it takes count, flag, mode, opts, label"),
        ("watch-less x=1", "watch-less has no argument 'x'; it takes no arguments"),
        ("watch count=1 count=2", "count is given twice"),
        ("watch 5", "'5' is not ARGUMENT=VALUE (e.g. id=t0; a raw command is a JSON object)"),
        ("wacth", "unknown command 'wacth' (did you mean 'watch'?) (help lists them; Tab completes)"),
        (":wait TOCK", "unknown event 'TOCK' (did you mean 'TICK'?)"),
        (":wait TICK soon", ":wait TICK soon: 'soon' is not a duration; write 250ms, 5s, 2m, 1h or a number of seconds"),
        (#"{"execute": "watch", "id": 1}"#, "a raw command takes execute and arguments, not 'id'"),
        (#"{"arguments": {}}"#, #"a raw command is a JSON object {"execute": NAME, "arguments": {…}}"#),
        (":frob", "unknown shell command ':frob' (the shell's own are :wait, :mark, :quit)"),
        ("hmp", "hmp needs a monitor command, such as: hmp info status"),
    ])
    func refusesBadLinesWithOneClearMessage(_ line: String, _ message: String) {
        #expect(throws: ShellInputError(message)) { try ShellInput.parse(line, schema: schema) }
    }

    @Test func completesCommandsArgumentNamesAndValues() throws {
        func complete(_ line: String) -> ShellCompletion? {
            ShellCompletion.complete(Array(line), cursor: line.count, schema: schema)
        }
        #expect(complete("wat")?.candidates == ["watch", "watch-less"])
        #expect(complete("wat")?.commonPrefix == "watch")
        #expect(complete(":w")?.candidates == [":wait"])
        #expect(complete("watch count=1 ")?.candidates == ["flag=", "label=", "mode=", "opts="])
        #expect(complete("watch count=1 m")?.suffix == "")
        let mode = try #require(complete("watch mode=f"))
        #expect(mode.candidates == ["fast"])
        #expect(mode.start == "watch mode=".count)
        #expect(complete("watch flag=")?.candidates == ["false", "true"])
        #expect(complete(":wait T")?.candidates == ["TICK"])
        #expect(complete("hmp i") == nil)
    }
}

@Suite struct LineEditingTests {
    @Test func decodesKeysAcrossReads() {
        var decoder = KeyDecoder()
        #expect(decoder.feed([0x61, 0x1B]) == [.character("a")])
        #expect(decoder.feed([0x5B]) == [])
        #expect(decoder.feed([0x41, 0xC3]) == [.up])
        #expect(decoder.feed([0xA9, 0x1B, 0x5B, 0x33, 0x7E, 0x03, 0x04, 0x09, 0x0D]) == [
            .character("é"), .delete, .interrupt, .endOfInput, .tab, .enter,
        ])
    }

    @Test func editsAndWalksTheHistory() {
        var buffer = LineBuffer(history: ["first", "second"])
        buffer.insert("draft")
        buffer.historyBack()
        #expect(buffer.text == "second")
        buffer.historyBack()
        buffer.historyBack()
        #expect(buffer.text == "first")
        buffer.historyForward()
        buffer.historyForward()
        #expect(buffer.text == "draft")
        buffer.moveHome()
        buffer.insert("a ")
        buffer.moveEnd()
        buffer.killWord()
        #expect(buffer.text == "a ")
        #expect(buffer.finish() == "a ")
        #expect(buffer.text.isEmpty)
    }
}

@Suite struct SessionRecorderTests {
    @Test func writesAPlaybookTheLoaderReadsBackWithTemplatesEscaped() throws {
        let recorder = SessionRecorder(path: "/dev/null", target: .connect("unix:/tmp/${x}.qmp"))
        recorder.execute("watch", arguments: ["count": 5, "label": "cost ${price}", "opts": ["a": [1, "b"]]], error: nil)
        recorder.event("TICK", data: ["n": 1])
        recorder.execute("watch", arguments: nil, error: "GenericError")
        recorder.wait(for: "TICK", data: ["n": 1])
        recorder.mark("done: ${not a var}")
        recorder.hmp("info status")
        recorder.finish()
        recorder.event("SHUTDOWN", data: [:])
        #expect(!recorder.text.contains("SHUTDOWN"))
        let playbook = try PlaybookLoader.load(bytes: Array(recorder.text.utf8), path: "session.yaml").get()
        #expect(playbook.steps.count == 5)
        guard case .connect(let address) = playbook.targets.first?.mode else { Issue.record("not a connect target"); return }
        #expect(address == "unix:/tmp/$${x}.qmp")
        guard case .execute(let first) = playbook.steps[0].action, case .execute(let second) = playbook.steps[1].action else {
            Issue.record("not execute steps"); return
        }
        #expect(first.arguments == ["count": 5, "label": "cost $${price}", "opts": ["a": [1, "b"]]])
        #expect(try Template.resolve(.string("cost $${price}"), with: Variables()) == "cost ${price}")
        guard case .error(let expected)? = second.expect else { Issue.record("no expect"); return }
        #expect(expected == ["class": "GenericError"])
        guard case .waitEvent(let wait) = playbook.steps[2].action else { Issue.record("not a wait"); return }
        #expect(wait.events == ["TICK"])
        #expect(wait.match == ["n": 1])
    }
}
