import QMP

/// Markup being made, as UTF-8 bytes: what the HTML pages are built of.
/// A `String` interpolated into it is escaped on the way in
/// (``MarkupText``), a `Markup` is copied as it is, and numbers and JSON
/// are written straight to the bytes, with no String made for them.
///
/// ```swift
/// var html: Markup = "<ul>\n"
/// for name in names { html += "<li>\(name)</li>\n" }  // each name escaped
/// html += "</ul>\n"
/// ```
///
/// So text from the run can only reach the page escaped: markup has to be
/// a `Markup` to go in as it is.
struct Markup: ExpressibleByStringInterpolation, Sendable {
    var bytes: [UInt8]

    init() {
        bytes = []
    }

    init(stringLiteral literal: String) {
        bytes = Array(literal.utf8)
    }

    init(stringInterpolation: Interpolation) {
        bytes = stringInterpolation.bytes
    }

    /// Text that is markup already (the page's style and scripts), as it is.
    init(raw text: String) {
        bytes = Array(text.utf8)
    }

    static func += (markup: inout Markup, more: Markup) {
        markup.bytes.append(contentsOf: more.bytes)
    }

    static func + (markup: Markup, more: Markup) -> Markup {
        var joined = markup
        joined += more
        return joined
    }

    mutating func reserveCapacity(_ count: Int) {
        bytes.reserveCapacity(count)
    }

    /// The markup as a String.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    struct Interpolation: StringInterpolationProtocol {
        var bytes: [UInt8] = []

        init(literalCapacity: Int, interpolationCount: Int) {
            bytes.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) {
            bytes.append(contentsOf: literal.utf8)
        }

        /// Text, escaped for content or a quoted attribute.
        mutating func appendInterpolation(_ text: String) {
            MarkupText.append(text, to: &bytes)
        }

        /// Markup, as it is.
        mutating func appendInterpolation(_ markup: Markup) {
            bytes.append(contentsOf: markup.bytes)
        }

        mutating func appendInterpolation(_ number: Int) {
            JSONValue.writeInteger(Int64(number), to: &bytes)
        }

        /// A number for an SVG attribute, rounded to two decimals and
        /// written without trailing zeros: `275.03`, `1205.2`, `120`. One
        /// past 10¹³ is rounded to a whole and written as Swift spells it
        /// (`1e+16`); one that is not finite as `0`, so the attribute stays a number.
        mutating func appendInterpolation(number value: Double) {
            let hundredths = (value * 100).rounded()
            guard hundredths.isFinite else { return appendLiteral("0") }
            guard abs(hundredths) < 1e15 else { return appendLiteral(value.rounded().description) }
            var whole = Int64(hundredths)
            if whole < 0 {
                bytes.append(UInt8(ascii: "-"))
                whole = -whole
            }
            JSONValue.writeInteger(whole / 100, to: &bytes)
            let fraction = UInt8(whole % 100)
            guard fraction != 0 else { return }
            bytes.append(UInt8(ascii: "."))
            bytes.append(UInt8(ascii: "0") + fraction / 10)
            if fraction % 10 != 0 { bytes.append(UInt8(ascii: "0") + fraction % 10) }
        }

        /// A JSON value as text, indented by two spaces a level when `pretty`; escaped.
        mutating func appendInterpolation(json value: JSONValue, pretty: Bool) {
            (pretty ? value.prettyJSONBytes : value.jsonBytes).withUnsafeBufferPointer { MarkupText.append($0, to: &bytes) }
        }
    }
}
