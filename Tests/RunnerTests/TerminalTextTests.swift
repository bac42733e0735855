import Testing
@testable import Runner

/// Text for a terminal: control characters shown, never sent; long lines cut.
@Suite struct TerminalTextTests {
    @Test func controlCharactersAreShownAsEscapes() {
        #expect(TerminalText.escape("evil\u{1B}]0;pwned\u{07}") == "evil\\x1b]0;pwned\\x07")
        #expect(TerminalText.escape("a\rb\u{7F}c\u{9B}d") == "a\\x0db\\x7fc\\x9bd")
    }

    @Test func tabsLineBreaksAndOtherTextStay() {
        #expect(TerminalText.escape("plug\tit\nnow: ümlaut …") == "plug\tit\nnow: ümlaut …")
    }

    @Test func aLongLineIsCutToTheColumnsWithAnEllipsis() {
        #expect(TerminalText.fitting("0123456789", columns: 6) == "01234…")
        #expect(TerminalText.fitting("0123", columns: 6) == "0123")
    }
}
