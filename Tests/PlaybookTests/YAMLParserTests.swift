import QMP
import Testing
@testable import Playbook

@Suite(.timeLimit(.minutes(1)))
struct YAMLParserTests {
    private func parse(_ text: String) throws(Diagnostic) -> YAMLNode? {
        try YAMLParser(bytes: Array(text.utf8), file: "t.yaml").parseDocument()
    }

    private func value(_ text: String) throws -> JSONValue {
        try #require(try parse(text)).jsonValue
    }

    private func failure(_ text: String) -> Diagnostic? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("~", JSONValue.null), ("null", .null), ("Null", .null), ("", .null),
        ("true", .bool(true)), ("False", .bool(false)), ("TRUE", .bool(true)),
        ("42", .int(42)), ("-7", .int(-7)), ("+3", .int(3)), ("0o17", .int(15)), ("0x1F", .int(31)),
        ("0600", .int(600)), ("18446744073709551615", .uint(.max)),
        ("1.5", .double(1.5)), ("-.5", .double(-0.5)), ("1e3", .double(1000)), (".inf", .double(.infinity)),
        ("yes", .string("yes")), ("on", .string("on")), ("1.2.3", .string("1.2.3")), ("0x", .string("0x")),
        ("5s", .string("5s")), ("-", .string("-")), ("1e", .string("1e")), ("0o9", .string("0o9")),
    ])
    func resolvesPlainScalarsWithTheCoreSchema(text: String, expected: JSONValue) {
        #expect(YAMLScalar.value(of: text) == expected)
    }

    @Test func resolvesNotANumber() {
        #expect(YAMLScalar.value(of: ".nan").doubleValue?.isNaN == true)
    }

    @Test func keepsQuotedAndBlockScalarsAsStrings() throws {
        let document = try value("a: '42'\nb: \"true\"\nc: |\n  null\nd: !!str 7\ne: 7\n")
        #expect(document == ["a": "42", "b": "true", "c": "null\n", "d": "7", "e": 7])
    }

    @Test func recordsOneBasedLinesAndColumns() throws {
        let root = try #require(try parse("name: x\nsteps:\n  - log: hi\n"))
        guard case .mapping(let pairs) = root.content else { Issue.record("not a map"); return }
        #expect((pairs[0].key.line, pairs[0].key.column) == (1, 1))
        #expect((pairs[0].value.line, pairs[0].value.column) == (1, 7))
        guard case .sequence(let steps) = pairs[1].value.content else { Issue.record("not a list"); return }
        #expect((steps[0].line, steps[0].column) == (3, 5))
    }

    @Test func expandsAliasesToTheAnchoredValue() throws {
        let document = try value("base: &b {driver: usb-tablet, bus: xhci.0}\ncopy: *b\nlist: [&x 1, *x]\n")
        #expect(document["copy"] == ["driver": "usb-tablet", "bus": "xhci.0"])
        #expect(document["list"] == [1, 1])
    }

    @Test func refusesAnAliasBombQuickly() throws {
        var text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
            previous = name
        }
        let error = try #require(failure(text))
        #expect(error.message.contains("aliases expand to more than"))
        #expect(error.location?.line == 6)
    }

    @Test func refusesManyAliasesOfAModestAnchor() throws {
        let anchor = "base: &b [" + (0..<1000).map(String.init).joined(separator: ", ") + "]\n"
        let copies = "copies: [" + Array(repeating: "*b", count: 200).joined(separator: ", ") + "]\n"
        let error = try #require(failure(anchor + copies))
        #expect(error.message.contains("aliases expand to more than \(YAMLLimits.maximumAliasExpansion) nodes"))
        #expect(error.location?.line == 2)
    }

    @Test func namesWhereAnUnclosedConstructStarted() throws {
        let error = try #require(failure("name: \"abc\n"))
        #expect(error.message.contains("that starts at line 1, column 7"))
    }

    @Test func refusesAnUndefinedAlias() throws {
        let error = try #require(failure("a: *nowhere\n"))
        #expect(error.location == SourceLocation(file: "t.yaml", line: 1, column: 4))
        #expect(error.message.contains("nowhere"))
    }

    @Test func reportsDuplicateKeysAtTheSecondKeyAndReadsOn() throws {
        let parser = YAMLParser(bytes: Array("a: 1\nb:\n  c: 1\n  c: 2\nd: 3\n".utf8), file: "t.yaml")
        let root = try #require(try parser.parseDocument())
        #expect(parser.problems.count == 1)
        #expect(parser.problems.first?.location == SourceLocation(file: "t.yaml", line: 4, column: 3))
        #expect(parser.problems.first?.message == "duplicate key 'c' in this map (the first one counts)")
        // The first value is kept, and what follows the duplicate is still read.
        #expect(root.jsonValue == ["a": 1, "b": ["c": 1], "d": 3])
    }

    @Test func refusesASecondDocument() throws {
        let error = try #require(failure("a: 1\n---\nb: 2\n"))
        #expect(error.location?.line == 2)
    }

    @Test func refusesTabsUsedAsIndentation() throws {
        let error = try #require(failure("a:\n\tb: 1\n"))
        #expect(error.location == SourceLocation(file: "t.yaml", line: 2, column: 1))
        #expect(error.message.contains("tab"))
    }

    @Test func acceptsTabsInsideValues() throws {
        #expect(try value("a: \"x\\ty\"\nb: 'p\tq'\n") == ["a": "x\ty", "b": "p\tq"])
    }

    @Test func refusesNonScalarKeys() throws {
        let error = try #require(failure("? [a, b]\n: 1\n"))
        #expect(error.message.contains("key must be a scalar"))
    }

    @Test func refusesDeepNesting() throws {
        let text = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        let error = try #require(failure(text))
        #expect(error.message.contains("nesting deeper"))
    }

    @Test func reportsSyntaxErrorsAtTheirPosition() throws {
        let error = try #require(failure("a: [1, 2\nb: 3\n"))
        #expect(error.location?.line == 2)
    }

    @Test func reportsInvalidUTF8AtTheByte() throws {
        let parser = YAMLParser(bytes: Array("a: caf".utf8) + [0xE9, 0x0A], file: "t.yaml")
        #expect(throws: Diagnostic.self) { try parser.parseDocument() }
        do {
            _ = try parser.parseDocument()
        } catch {
            #expect(error.location?.column == 7)
        }
    }

    @Test func returnsNilForAnEmptyStream() throws {
        #expect(try parse("") == nil)
        #expect(try parse("# only a comment\n") == nil)
    }

    @Test func parsesVarValuesAsYAML() throws {
        #expect(try YAMLScalar.parseValue("5") == 5)
        #expect(try YAMLScalar.parseValue("\"5\"") == "5")
        #expect(try YAMLScalar.parseValue("[a, 1]") == ["a", 1])
        #expect(try YAMLScalar.parseValue("") == .null)
        #expect(throws: Diagnostic.self) { try YAMLScalar.parseValue("[a") }
    }
}
