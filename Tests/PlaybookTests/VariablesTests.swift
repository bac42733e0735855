import QMP
import Testing
@testable import Playbook

@Suite struct VariablesTests {
    @Test func overridesReplaceVars() throws {
        let variables = Variables(vars: ["dev": "a", "keep": 1], overrides: ["dev": "b"], environment: [:])
        #expect(try variables.value(at: ["dev"]) == "b")
        #expect(try variables.value(at: ["keep"]) == 1)
    }

    @Test func registersWinAndWalkPaths() throws {
        var variables = Variables(vars: ["status": "old"], environment: [:])
        variables.register("status", value: ["return": ["running": true, "list": [10, 20]]])
        #expect(try variables.value(at: ["status", "return", "running"]) == true)
        #expect(try variables.value(at: ["status", "return", "list", "1"]) == 20)
        #expect(variables.isDefined("status"))
        #expect(!variables.isDefined("other"))
        #expect(variables.isDefined("env"))
    }

    @Test func runDirIsUnknownOutsideARun() {
        let variables = Variables(environment: [:])
        #expect(throws: TemplateError.self) { try variables.value(at: ["run", "dir"]) }
    }

    @Test func parsesVarArgumentsAsYAMLScalars() throws {
        #expect(try Variables.parseOverride("n=5") == ("n", 5))
        #expect(try Variables.parseOverride("s=\"5\"").value == "5")
        #expect(try Variables.parseOverride("dev=tablet0").value == "tablet0")
        #expect(try Variables.parseOverride("url=a=b").value == "a=b")
        #expect(try Variables.parseOverride("e=").value == .null)
        #expect(try Variables.parseOverrides(["a=1", "a=2"]) == ["a": 2])
    }

    @Test(arguments: ["novalue", "=x", "a b=1", "env=1", "x=1e400"])
    func refusesBadVarArguments(argument: String) {
        #expect(throws: Diagnostic.self) { try Variables.parseOverride(argument) }
    }
}
