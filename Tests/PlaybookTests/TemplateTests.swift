import QMP
import Testing
@testable import Playbook

@Suite struct TemplateTests {
    let variables = Variables(
        vars: ["dev": "tablet0", "n": 3, "flag": true, "nested": ["list": [["c": "deep"]], "x": 1.5], "nothing": nil,
               "chained": "id-${dev}", "loop": "${loop}"],
        environment: ["HOME": "/root"], playbookDirectory: "/books", runDirectory: "/tmp/run.1")

    @Test func substitutesInsideAString() throws {
        #expect(try Template.resolve("id-${dev}-${n}", with: variables) == "id-tablet0-3")
    }

    @Test func wholeStringReferenceKeepsTheType() throws {
        #expect(try Template.resolve("${n}", with: variables) == 3)
        #expect(try Template.resolve("${flag}", with: variables) == true)
        #expect(try Template.resolve("${nothing}", with: variables) == .null)
        #expect(try Template.resolve("${nested}", with: variables) == ["list": [["c": "deep"]], "x": 1.5])
    }

    @Test func writesNonStringsAsJSONInsideText() throws {
        #expect(try Template.resolve("v=${nested.list}", with: variables) == #"v=[{"c":"deep"}]"#)
        #expect(try Template.resolve("${nothing}!", with: variables) == "null!")
    }

    @Test func walksDottedPathsIntoMapsAndLists() throws {
        #expect(try Template.resolve("${nested.list.0.c}", with: variables) == "deep")
        #expect(try Template.resolve("${nested.x}", with: variables) == 1.5)
    }

    @Test func doubleDollarEscapesALiteral() throws {
        #expect(try Template.resolve("$${dev} and ${dev}", with: variables) == "${dev} and tablet0")
        #expect(try Template.resolve("cost $5, $$ and $", with: variables) == "cost $5, $$ and $")
    }

    @Test func resolvesInsideListsAndMapValuesButNotKeys() throws {
        let value: JSONValue = ["${dev}": ["${n}", "x${dev}"]]
        #expect(try Template.resolve(value, with: variables) == ["${dev}": [3, "xtablet0"]])
    }

    @Test func providesTheBuiltIns() throws {
        #expect(try Template.resolve("${env.HOME}/x", with: variables) == "/root/x")
        #expect(try Template.resolve("${playbook.dir}", with: variables) == "/books")
        #expect(try Template.resolve("${run.dir}/q.sock", with: variables) == "/tmp/run.1/q.sock")
    }

    @Test func resolvesTemplatesInsideVariables() throws {
        #expect(try Template.resolve("${chained}", with: variables) == "id-tablet0")
    }

    @Test func refusesAVariableThatRefersToItself() {
        #expect(throws: TemplateError.self) { try Template.resolve("${loop}", with: variables) }
    }

    @Test func registeredValuesAreNotReResolved() throws {
        var variables = variables
        variables.register("reply", value: ["return": "${dev}"])
        #expect(try Template.resolve("${reply.return}", with: variables) == "${dev}")
    }

    @Test(arguments: [
        ("${missing}", "undefined variable 'missing'"),
        ("${devv}", "did you mean 'dev'"),
        ("${nested.y}", "has no key 'y'"),
        ("${nested.list.5}", "no element '5'"),
        ("${n.x}", "is an integer (3), not a map"),
        ("${env.NO_SUCH_VARIABLE_HERE}", "not set"),
        ("${playbook.path}", "${playbook.dir}"),
        ("${unterminated", "unterminated"),
        ("${}", "empty expression"),
        ("${a b}", "unexpected 'b' after a complete expression"),
        ("${a..b}", "expected a key after '.'"),
    ])
    func explainsWhatCannotBeResolved(text: String, expected: String) {
        #expect {
            try Template.resolve(.string(text), with: variables)
        } throws: { error in
            (error as? TemplateError)?.message.contains(expected) == true
        }
    }

    @Test func listsExpressionsWithTheirOffsets() throws {
        let found = try Template.expressions(in: "a ${x} $${y} ${z.0.k + 1}")
        #expect(found.map(\.source) == ["x", "z.0.k + 1"])
        #expect(found.map(\.offset) == [4, 15])
        #expect(try Template.expressions(in: "plain").isEmpty)
    }
}
