import QMP
import Testing
@testable import Playbook

@Suite struct EvaluatorTests {
    let variables: Variables = {
        var variables = Variables(vars: [
            "n": 3, "big": .int(.max), "small": .int(.min), "huge": .uint(.max),
            "two53": 9_007_199_254_740_992, "dev": "tablet0", "a": 10, "b": 4,
            "info": ["json": ["virtual-size": 1_073_741_824, "format": "qcow2"]],
            "m": ["key with spaces": 1, "k1": "x"], "list": [10, 20, 30], "key": "k1",
        ], environment: ["HOME": "/root"], playbookDirectory: "/books", runDirectory: "/tmp/run.1", runID: "abc123")
        variables.register("status", value: ["return": ["status": "paused", "running": false]])
        return variables
    }()

    private func value(_ source: String) throws -> JSONValue {
        try variables.evaluate(source)
    }

    private func failure(_ source: String) -> String? {
        variables.evaluationFailure(source)
    }

    @Test func arithmeticFollowsPrecedence() throws {
        #expect(try value("1 + 2 * 3") == 7)
        #expect(try value("(1 + 2) * 3") == 9)
        #expect(try value("a - b - 1") == 5)
        #expect(try value("-a + 1") == -9)
        #expect(try value("a // b") == 2)
        #expect(try value("a % b") == 2)
        #expect(try value("a / b") == 2.5)
        #expect(try value("1 + 0.5") == 1.5)
        #expect(try value("not 1 == 2 and 2 > 1") == true)
        #expect(try value("1 == 1 or 1 / 0 > 0") == true)
    }

    @Test func floorDivisionAndRemainderFloorLikePython() throws {
        #expect(try value("-7 // 2") == -4)
        #expect(try value("-7 % 2") == 1)
        #expect(try value("7 % -2") == -1)
        #expect(try value("7 // -2") == -4)
    }

    @Test func hyphenatedPathsVersusSubtraction() throws {
        #expect(try value("info.json.virtual-size + 1073741824") == 2_147_483_648)
        #expect(try value("a - b") == 6)
        #expect(failure("a-b")?.contains("undefined variable 'a-b'") == true)
    }

    @Test func integersAreExactAndOverflowIsAnError() throws {
        #expect(failure("big + 1") == "integer overflow in 'big + 1': the result does not fit in a signed 64-bit integer")
        #expect(failure("small - 1")?.hasPrefix("integer overflow in 'small - 1'") == true)
        #expect(failure("big * 2")?.hasPrefix("integer overflow") == true)
        #expect(failure("-small")?.hasPrefix("integer overflow") == true)
        #expect(failure("small // -1")?.hasPrefix("integer overflow") == true)
        #expect(try value("big - 1 + 1") == .int(.max))
        #expect(try value("huge - huge") == 0)
        #expect(try value("two53 + 1") == .int(9_007_199_254_740_993))
    }

    @Test func comparisonsBetweenNumbersAreExact() throws {
        #expect(try value("two53 + 1 > two53") == true)
        #expect(try value("two53 + 1 > float(two53)") == true)
        #expect(try value("two53 + 1 == float(two53 + 1)") == false)
        #expect(try value("two53 == float(two53)") == true)
        #expect(try value("huge > big") == true)
        #expect(try value("huge == 18446744073709551615") == true)
        #expect(try value("1 < 1.5 and 2 > 1.5 and 1 == 1.0") == true)
        #expect(try value("'abc' < 'abd'") == true)
        #expect(try value("'1' == 1") == false)
        #expect(failure("'1' < 2") == "'<' compares two numbers or two texts, not a text (\"1\") and an integer (2)")
    }

    @Test func joinsTextsAndLists() throws {
        #expect(try value("'id-' + dev") == "id-tablet0")
        #expect(try value("list + [40]") == [10, 20, 30, 40])
        #expect(failure("dev + 1") == "'+' takes two numbers, two texts or two lists, not a text (\"tablet0\") and an integer (1)")
    }

    @Test func membership() throws {
        #expect(try value("20 in list") == true)
        #expect(try value("'k1' in m") == true)
        #expect(try value("'tab' in dev") == true)
        #expect(try value("5 in list") == false)
        #expect(failure("1 in 2")?.hasPrefix("'in' looks into a list, a map or a text") == true)
    }

    @Test func pathsKeysAndIndexes() throws {
        #expect(try value("m['key with spaces']") == 1)
        #expect(try value("m[key]") == "x")
        #expect(try value("list[1]") == 20)
        #expect(try value("list.2") == 30)
        #expect(try value("status.return.status == 'paused'") == true)
        #expect(try value("{a: n, 'b c': [n]}") == ["a": 3, "b c": [3]])
        #expect(failure("m.nope") == "'m' has no key 'nope'")
        #expect(failure("list[5]") == "'list' is a list of 3, with no element '5'")
        #expect(failure("list['x']") == "'list' is a list of 3, with no element 'x'")
        #expect(failure("n.x") == "'n' is an integer (3), not a map or a list")
        #expect(failure("list[1.5]") == "'list' is a list: its index must be an integer, not 1.5")
    }

    @Test func logicTakesBooleans() {
        #expect(failure("n and true") == "'and' takes true or false, but 'n' is an integer (3)")
        #expect(failure("not dev") == "'not' takes true or false, but 'dev' is a text (\"tablet0\")")
    }

    @Test func divisionByZeroIsAnError() {
        #expect(failure("a / 0") == "division by zero in 'a / 0'")
        #expect(failure("a // 0") == "division by zero in 'a // 0'")
        #expect(failure("a % 0") == "division by zero in 'a % 0'")
        #expect(failure("1.5 / 0") == "division by zero in '1.5 / 0'")
        #expect(failure("1.5 // 1")?.contains("'//' takes integers") == true)
    }

    @Test func builtIns() throws {
        #expect(try value("run.id") == "abc123")
        #expect(try value("run.dir + '/x'") == "/tmp/run.1/x")
        #expect(try value("env.HOME") == "/root")
        #expect(try value("playbook.dir") == "/books")
        let started = try value("run.started").stringValue ?? ""
        #expect(started.count == 20 && started.hasSuffix("Z") && started.dropFirst(10).first == "T")
        #expect(failure("run.nope") == "'${run.nope}' is not defined: the built-ins are ${run.dir}, ${run.id}, ${run.started}")
        #expect(failure("env") == "'${env}': write ${env.NAME} for an environment variable")
    }

    @Test func runIDsDifferBetweenRuns() {
        #expect(Variables().runID != Variables().runID)
        #expect(Variables().runID.count == 16)
    }

    @Test func undefinedNamesSuggestTheNearest() {
        #expect(failure("devv") == "undefined variable 'devv' (did you mean 'dev'?)")
    }
}
