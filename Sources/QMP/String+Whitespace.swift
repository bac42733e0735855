extension String {
    /// The text without leading and trailing spaces and tabs (and other
    /// Unicode whitespace that is not a line break): Foundation's
    /// `trimmingCharacters(in: .whitespaces)`, which FoundationEssentials lacks.
    package func trimmingWhitespace() -> String {
        Substring(self).trimmingWhitespace()
    }

    /// The text with spaces added to make `width` characters (longer text is
    /// cut): Foundation's `padding(toLength:withPad:startingAt:)` with a space.
    package func padded(to width: Int) -> String {
        count >= width ? String(prefix(width)) : self + String(repeating: " ", count: width - count)
    }
}

extension Substring {
    /// ``Swift/String/trimmingWhitespace()`` of a slice.
    package func trimmingWhitespace() -> String {
        // By scalar, ASCII first: no Unicode property lookup for the usual text.
        func isBlank(_ scalar: Unicode.Scalar) -> Bool {
            if scalar.isASCII { return scalar == " " || scalar == "\t" }
            return scalar.properties.isWhitespace && !"\u{85}\u{2028}\u{2029}".unicodeScalars.contains(scalar)
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isBlank($0) })!
        return String(scalars[first...last])
    }
}
