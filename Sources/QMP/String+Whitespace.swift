extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (and other
    /// Unicode whitespace that is not a line break): Foundation's
    /// `trimmingCharacters(in: .whitespaces)`, which FoundationEssentials lacks.
    package func trimmingWhitespace() -> String {
        func isBlank(_ character: Character) -> Bool { character.isWhitespace && !character.isNewline }
        guard let first = firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = lastIndex(where: { !isBlank($0) })!
        return String(self[first...last])
    }
}

extension String {
    /// The text with spaces added to make `width` characters (longer text is
    /// cut): Foundation's `padding(toLength:withPad:startingAt:)` with a space.
    package func padded(to width: Int) -> String {
        count >= width ? String(prefix(width)) : self + String(repeating: " ", count: width - count)
    }
}
