import QMP
import Testing
@testable import Playbook

/// Where `check` points inside strings that span lines or hold escapes.
@Suite struct ScalarPositionsTests {
    private func firstProblem(_ steps: String) -> String? {
        let text = "name: t\ntargets: {vm: {connect: /s}}\nsteps:\n" + steps
        guard case .failure(let problems) = PlaybookLoader.load(bytes: Array(text.utf8), path: "b.yaml", environment: [:]) else { return nil }
        return problems.diagnostics.first?.description
    }

    @Test func aDoubleQuotedStringOnTwoLines() {
        #expect(firstProblem("  - log: \"first line\n      and ${nope}\"\n")?.hasPrefix("b.yaml:5:13: undefined variable 'nope'") == true)
    }

    @Test func aPlainScalarOnTwoLines() {
        #expect(firstProblem("  - log: first line\n      then ${1 +}\n")?.hasPrefix("b.yaml:5:17: in '${1 +}': the expression ends too early") == true)
    }

    @Test func unicodeEscapesAndDoubledQuotes() {
        #expect(firstProblem("  - log: \"\\u00e9\\x41 ${nope}\"\n")?.hasPrefix("b.yaml:4:24: undefined variable 'nope'") == true)
        #expect(firstProblem("  - log: 'it''s ${nope}'\n")?.hasPrefix("b.yaml:4:19: undefined variable 'nope'") == true)
    }

    @Test func aFoldedBlockScalarPointsAtItsStart() {
        #expect(firstProblem("  - log: >\n      a ${nope}\n")?.hasPrefix("b.yaml:4:10: undefined variable 'nope'") == true)
    }
}
