import QMP
import Testing
@testable import Shell

@Suite struct ShellInputTests {
    @Test func splitsWordsKeepingQuotedTextAndJSONTogether() {
        let (words, open) = ShellWords.split(Array(#"cmd id="a b" opts={"x": "} y", "z": [1, 2]} n=1"#))
        #expect(open == nil)
        #expect(words.map(\.text) == ["cmd", "id=a b", #"opts={"x": "} y", "z": [1, 2]}"#, "n=1"])
    }
}
