import QMP
import Testing
@testable import Playbook

@Suite struct DiagnosticJSONTests {
    @Test func aSuggestionInParenthesesBecomesTheHint() {
        let diagnostic = Diagnostic("unknown key 'argumnts' in an execute step (did you mean 'arguments'?)",
                                    at: SourceLocation(file: "b.yaml", line: 4, column: 5))
        #expect(diagnostic.jsonValue == [
            "file": "b.yaml", "line": 4, "column": 5,
            "message": "unknown key 'argumnts' in an execute step", "hint": "did you mean 'arguments'?",
        ])
    }

    @Test func aSuggestionInTheMiddleLeavesTheRestOfTheMessage() {
        let message = "undefined target 'mv'\(Diagnostic.didYouMean("vm")); targets: vm, dst"
        let json = Diagnostic(message, at: nil).jsonValue
        #expect(json["message"] == "undefined target 'mv'; targets: vm, dst")
        #expect(json["hint"] == "did you mean 'vm'?")
        #expect(json["file"] == .null && json["line"] == .null && json["column"] == .null)
    }

    @Test func aSchemaSuggestionBecomesTheHint() {
        let json = Diagnostic("target vm: execute: unknown command 'query-stauts' (did you mean 'query-status'?)", at: nil).jsonValue
        #expect(json["message"] == "target vm: execute: unknown command 'query-stauts'")
        #expect(json["hint"] == "did you mean 'query-status'?")
    }

    @Test func aMessageWithoutSuggestionHasANullHint() {
        #expect(Diagnostic("the file is empty", at: nil).jsonValue["hint"] == .null)
        #expect(Diagnostic.didYouMean(nil) == "")
    }
}
