import QMP
import Testing
@testable import Runner

/// What the HTML pages are built of: text goes in escaped, markup as it is,
/// numbers as the SVG attributes spell them.
struct MarkupTests {
    @Test func textIsEscapedAndMarkupIsNot() {
        let name = "<b>\"R&D\"</b>"
        let link: Markup = "<a href=\"#step-\(3)\">\(name)</a>"
        let row: Markup = "<td>\(link)</td><td>\(Markup(raw: "<i>as is</i>"))</td>"
        #expect(row.text == "<td><a href=\"#step-3\">&lt;b&gt;&quot;R&amp;D&quot;&lt;/b&gt;</a></td><td><i>as is</i></td>")
    }

    @Test func jsonIsWrittenAndEscaped() {
        let value: JSONValue = ["execute": "<x>", "arguments": ["n": 1]]
        let compact: Markup = "\(json: value, pretty: false)"
        #expect(compact.text == "{&quot;execute&quot;:&quot;&lt;x&gt;&quot;,&quot;arguments&quot;:{&quot;n&quot;:1}}")
        let pretty: Markup = "\(json: value, pretty: true)"
        #expect(pretty.text == MarkupText.escape(value.prettyJSONText))
    }

    /// Rounded to two decimals, as Swift spells the rounded value, without `.0`:
    /// what the page wrote through a String before numbers were written digit by digit.
    static func spelled(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    @Test(arguments: [0.0, -0.0, 0.004, 0.005, -0.004, -0.5, 1, 2.5, 120, 275.0273, 1205.195, 1205.2049,
                      -1234.567, 99.995, 1e-9, 1_419_104_315.52, 9_999_999_999_999.99])
    func numbersHaveAtMostTwoDecimals(value: Double) {
        let written: Markup = "\(number: value)"
        #expect(written.text == Self.spelled(value))
    }

    @Test func numbersAcrossARangeMatchTheirStringSpelling() {
        var value = -50.0
        while value < 5_000 {
            let written: Markup = "\(number: value)"
            #expect(written.text == Self.spelled(value), "\(value)")
            value += 0.37
        }
    }

    @Test func hugeNumbersKeepTheirExponentAndOthersAreZero() {
        let values: [Markup] = ["\(number: 1e16)", "\(number: -2.5e20)", "\(number: .infinity)", "\(number: .nan)"]
        #expect(values.map(\.text) == ["1e+16", "-2.5e+20", "0", "0"])
    }
}
