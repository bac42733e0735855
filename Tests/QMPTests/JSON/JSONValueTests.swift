import Testing
@testable import QMP

@Suite struct JSONValueTests {
    @Test func parsesQMPGreeting() throws {
        let text = #"{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian"}, "capabilities": ["oob"]}}"#
        let value = try JSONValue(parsing: text)
        #expect(value["QMP"]?["version"]?["qemu"]?["minor"]?.intValue == 2)
        #expect(value["QMP"]?["capabilities"]?[0] == "oob")
    }

    @Test func roundTripsEscapesAndUnicode() throws {
        let value = try JSONValue(parsing: #"{"s": "a\"b\\c\nd\u00e9\ud83d\ude00/"}"#)
        #expect(value["s"]?.stringValue == "a\"b\\c\nd\u{e9}\u{1F600}/")
        #expect(try JSONValue(parsing: value.jsonText) == value)
    }

    @Test func keepsIntegerExactness() throws {
        let value = try JSONValue(parsing: "[18446744073709551615, -9223372036854775808, 1.5, 1e3]")
        #expect(value[0] == .uint(UInt64.max))
        #expect(value[1] == .int(Int64.min))
        #expect(value[2] == .double(1.5))
        #expect(value[3] == .int(1000))
    }

    @Test func objectsCompareWithoutOrderAndKeepInsertionOrder() throws {
        let value = try JSONValue(parsing: #"{"b": 1, "a": 2}"#)
        #expect(value == ["a": 2, "b": 1])
        #expect(value.jsonText == #"{"b":1,"a":2}"#)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", "tru", "1 2", "\"\u{01}\""])
    func rejectsMalformedText(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func limitsNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
    }

    @Test(arguments: [Int64.min, -1_000_000_007, -1, 0, 7, 10, 99, 1_000, Int64.max])
    func writesIntegersAsSwiftSpellsThem(_ value: Int64) {
        #expect(JSONValue.int(value).jsonText == String(value))
        #expect(JSONValue.array([.null, .bool(true), .bool(false), .int(value)]).jsonText == "[null,true,false,\(value)]")
    }

    /// Text written with an indent, compacted, is the compact text of the
    /// same value: keys and strings with `": "` and line breaks in them,
    /// escapes before a closing quote, empty containers, any indent and level.
    @Test func anIndentedTextCompactedIsTheCompactText() {
        let values: [JSONValue] = [
            ["a: b": "c: d", "list": ["x", "y: z", ["k\\": "v\\\"", "w": [:]]], "e": [], "n": -1.5],
            ["\"q\": ": ["\n  \"k\": 1", "tab\tend", "\\"], "": .null, "t": true, "u": [[], [[1]]]],
            "just a string: with a colon",
            [],
            [:],
            [1, [2, [3, ["deep": "er"]]]],
        ]
        for value in values {
            for (indent, level) in [(2, 0), (2, 2), (4, 3)] {
                var indented: [UInt8] = []
                value.write(to: &indented, indent: indent, level: level)
                var compacted: [UInt8] = [UInt8(ascii: "[")]
                JSONValue.appendCompacted(indented, to: &compacted)
                #expect(String(decoding: compacted, as: UTF8.self) == "[" + value.jsonText, "indent \(indent), level \(level)")
            }
        }
    }
}
