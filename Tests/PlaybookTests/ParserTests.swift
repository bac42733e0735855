import QMP
import Testing
@testable import Playbook

@Suite struct ParserTests {
    /// The tree written with every binary operation in parentheses.
    private func shape(_ source: String) throws -> String {
        try Expression(parsing: source).source
    }

    @Test func precedenceFromLoosestToTightest() throws {
        #expect(try shape("a or b and c") == "a or (b and c)")
        #expect(try shape("not a == b") == "not (a == b)")
        #expect(try shape("a and not b or c") == "(a and not b) or c")
        #expect(try shape("a == b + c") == "a == (b + c)")
        #expect(try shape("a + b * c") == "a + (b * c)")
        #expect(try shape("a - b // c % d") == "a - ((b // c) % d)")
        #expect(try shape("-a * b") == "-a * b")
        #expect(try shape("a in b + c") == "a in (b + c)")
        #expect(try shape("(a + b) * c") == "(a + b) * c")
        #expect(try shape("a - b - c") == "(a - b) - c")
    }

    @Test func pathsIndexingAndCalls() throws {
        #expect(try shape("info.json.virtual-size") == "info.json.virtual-size")
        #expect(try shape("m['key with spaces']") == "m['key with spaces']")
        #expect(try shape("m[k + 1].x") == "m[k + 1].x")
        #expect(try shape("len(keys(m)) > 0") == "len(keys(m)) > 0")
        #expect(try shape("[1, 'a', {b: 2, 'c d': [3]},]") == "[1, 'a', {'b': 2, 'c d': [3]}]")
    }

    @Test func int64MinimumIsALiteral() throws {
        #expect(try Evaluator(variables: Variables()).evaluate(Expression(parsing: "-9223372036854775808")) == .int(.min))
    }

    @Test(arguments: [
        ("", 0, "empty expression"),
        ("a b", 2, "unexpected 'b' after a complete expression"),
        ("a +", 3, "ends too early"),
        ("a < b < c", 6, "comparisons do not chain"),
        ("(a", 2, "expected ')' to close '('"),
        ("f(a b)", 4, "expected ',' or ')'"),
        ("a.", 2, "expected a key after '.'"),
        ("{1: 2}", 1, "expected a key"),
        ("{a: 1, a: 2}", 7, "duplicate key 'a'"),
        ("a not in b", 2, "'not in' is not an operator"),
        ("* 2", 0, "expected a value, found '*'"),
    ])
    func syntaxErrorsPointAtTheOffendingToken(source: String, offset: Int, message: String) {
        #expect {
            try Expression(parsing: source)
        } throws: { error in
            guard let error = error as? ExpressionError else { return false }
            return error.offset == offset && error.message.contains(message)
        }
    }

    @Test func boundsNestingAndLength() {
        #expect(throws: ExpressionError.self) { try Expression(parsing: String(repeating: "(", count: 100) + "1" + String(repeating: ")", count: 100)) }
        #expect(throws: ExpressionError.self) { try Expression(parsing: Array(repeating: "1", count: 300).joined(separator: " + ")) }
        #expect(throws: ExpressionError.self) { try Expression(parsing: String(repeating: "-", count: 100) + "1") }
    }
}
