import Testing
@testable import Playbook

@Suite struct LexerTests {
    private func kinds(_ source: String) throws -> [Token.Kind] {
        try Lexer.tokens(in: source).map(\.kind)
    }

    @Test func hyphenInsideANameIsPartOfIt() throws {
        #expect(try kinds("info.virtual-size") == [.name("info"), .symbol(.dot), .name("virtual-size"), .end])
    }

    @Test func hyphenWithSpacesIsSubtraction() throws {
        #expect(try kinds("a - b") == [.name("a"), .symbol(.minus), .name("b"), .end])
        #expect(try kinds("a -b") == [.name("a"), .symbol(.minus), .name("b"), .end])
        #expect(try kinds("a- b") == [.name("a"), .symbol(.minus), .name("b"), .end])
    }

    @Test func segmentAfterADotMayStartWithADigit() throws {
        #expect(try kinds("list.0.1") == [.name("list"), .symbol(.dot), .name("0"), .symbol(.dot), .name("1"), .end])
        #expect(try kinds("0.5") == [.float(0.5), .end])
    }

    @Test func readsLiteralsAndKeywords() throws {
        #expect(try kinds("1 2.5e3 'a\\'b' \"c\\n\" true false null and or not in") == [
            .integer(1), .float(2500), .text("a'b"), .text("c\n"), .keyword(.true), .keyword(.false), .keyword(.null),
            .keyword(.and), .keyword(.or), .keyword(.not), .keyword(.in), .end,
        ])
        #expect(try kinds("18446744073709551615") == [.largeInteger(.max), .end])
    }

    @Test func readsTwoCharacterOperators() throws {
        #expect(try kinds("a//b<=c>=d==e!=f") == [
            .name("a"), .symbol(.floorDivide), .name("b"), .symbol(.lessOrEqual), .name("c"), .symbol(.greaterOrEqual),
            .name("d"), .symbol(.equal), .name("e"), .symbol(.notEqual), .name("f"), .end,
        ])
    }

    @Test func digitsRunningIntoALetterAreAName() throws {
        #expect(try kinds("2fa + 1st-disk") == [.name("2fa"), .symbol(.plus), .name("1st-disk"), .end])
        #expect(try kinds("1e5 1-2") == [.float(100_000), .integer(1), .symbol(.minus), .integer(2), .end])
    }

    @Test func keepsCharacterOffsets() throws {
        #expect(try Lexer.tokens(in: "'é' + x").map(\.offset) == [0, 4, 6, 7])
    }

    @Test(arguments: [
        ("a = b", 2, "'=' is not an operator: write '==' to compare"),
        ("'open", 0, "unterminated text"),
        ("'a\\q'", 2, "unknown escape '\\q'"),
        ("a && b", 2, "write 'and' or 'or'"),
        ("a ! b", 2, "write 'not' or '!='"),
        ("a # b", 2, "unexpected character '#'"),
        ("99999999999999999999", 0, "does not fit in 64 bits"),
    ])
    func refusesWhatItCannotRead(source: String, offset: Int, message: String) {
        #expect {
            try Lexer.tokens(in: source)
        } throws: { error in
            guard let error = error as? ExpressionError else { return false }
            return error.offset == offset && error.message.contains(message)
        }
    }
}
