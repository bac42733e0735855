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

    /// A key given twice keeps its first place and its last value (RFC 8259
    /// leaves it open; QEMU's own parser does the same), in an object of a
    /// few members and in one of many (whose keys are told apart another way).
    @Test(arguments: [2, 8, 9, 30])
    func aRepeatedKeyKeepsItsPlaceAndItsLastValue(_ count: Int) throws {
        let names = (0..<count).map { "key\($0)" }
        let members = names.enumerated().map { "\"\($1)\": \($0)" }
        let repeated = members + ["\"key0\": \"last\"", "\"\(names[count - 1])\": \"again\""]
        let value = try JSONValue(parsing: "{" + repeated.joined(separator: ", ") + "}")
        let object = try #require(value.objectValue)
        #expect(object.keys == names)
        #expect(object["key0"] == "last")
        #expect(object[names[count - 1]] == "again")
        #expect(count < 3 || object["key1"] == 1)
    }

    /// Keys that are different bytes but the same text once invalid UTF-8 is
    /// repaired (each becomes U+FFFD) are the same key.
    @Test(arguments: [1, 12])
    func keysEqualOnlyAfterRepairAreOneKey(_ others: Int) throws {
        var bytes = Array("{".utf8)
        for index in 0..<others { bytes += Array("\"o\(index)\": 0, ".utf8) }
        bytes += [UInt8(ascii: "\""), 0xFF, UInt8(ascii: "\"")] + Array(": 1, ".utf8)
        bytes += [UInt8(ascii: "\""), 0xFE, UInt8(ascii: "\"")] + Array(": 2}".utf8)
        let object = try #require(try JSONValue(parsing: bytes).objectValue)
        #expect(object.count == others + 1)
        #expect(object["\u{FFFD}"] == 2)
    }

    /// A key spelled with escapes is the key it spells: the same as one spelled plainly.
    @Test(arguments: [0, 12])
    func aKeySpelledWithEscapesIsTheKeyItSpells(_ others: Int) throws {
        let members = (0..<others).map { "\"o\($0)\": 0, " }.joined()
        let object = try #require(try JSONValue(parsing: "{" + members + #""ab": 1, "a\u0062": 2, "\u00e9t\u00e9": 3, "été": 4}"#).objectValue)
        #expect(object.count == others + 2)
        #expect(object["ab"] == 2 && object["été"] == 4)
    }

    /// A reader finds members read in order, out of order, twice, and says nil for one that is not there.
    @Test func aReaderFindsMembersInAnyOrder() throws {
        let object: JSONObject = ["a": 1, "b": 2, "c": 3, "d": 4]
        var member = JSONObject.Reader(object)
        #expect(member("a") == 1 && member("b") == 2)
        #expect(member("d") == 4 && member("c") == 3 && member("c") == 3)
        #expect(member("e") == nil && member("a") == 1 && member("b") == 2)
        var empty = JSONObject.Reader([:])
        #expect(empty("a") == nil)
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
