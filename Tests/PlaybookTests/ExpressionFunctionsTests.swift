import QMP
import Testing
@testable import Playbook

@Suite struct ExpressionFunctionsTests {
    let variables = Variables(vars: [
        "m": ["a": 1, "b": "two"], "list": [3, 1, 2], "blocks": [["device": "ide0", "size": 5], ["device": "virtio0", "size": 7]],
        "doc": #"{"x": [1, 2.5, "y"]}"#,
    ])

    private func value(_ source: String) throws -> JSONValue {
        try variables.evaluate(source)
    }

    private func failure(_ source: String) -> String? {
        variables.evaluationFailure(source)
    }

    @Test func len() throws {
        #expect(try value("len('héllo')") == 5)
        #expect(try value("len(list)") == 3)
        #expect(try value("len(m)") == 2)
        #expect(failure("len(3)") == "len() takes a text, a list or a map, not an integer (3)")
    }

    @Test func int() throws {
        #expect(try value("int('42')") == 42)
        #expect(try value("int(' -7 ')") == -7)
        #expect(try value("int(3.9)") == 3)
        #expect(try value("int(-3.9)") == -3)
        #expect(try value("int(true)") == 1)
        #expect(failure("int('3.5')") == "int(): '3.5' is not an integer text (write int(float(x)) to cut off a fraction)")
        #expect(try value("int(float('3.5'))") == 3)
        #expect(failure("int(1e30)")?.contains("does not fit in a signed 64-bit integer") == true)
        #expect(failure("int(18446744073709551615)")?.contains("does not fit") == true)
        #expect(failure("int(null)") == "int() takes a number, a boolean or a text, not null")
    }

    @Test func float() throws {
        #expect(try value("float(2)") == .double(2))
        #expect(try value("float('2.5')") == 2.5)
        #expect(failure("float('x')") == "float(): 'x' is not a number text")
        #expect(failure("float([])") == "float() takes a number or a text, not a list ([])")
    }

    @Test func str() throws {
        #expect(try value("str(42)") == "42")
        #expect(try value("str('a')") == "a")
        #expect(try value("str(m)") == #"{"a":1,"b":"two"}"#)
        #expect(try value("str(null)") == "null")
    }

    @Test func bool() throws {
        #expect(try value("bool('true')") == true)
        #expect(try value("bool('false')") == false)
        #expect(try value("bool(0)") == false)
        #expect(try value("bool(0.0)") == false)
        #expect(try value("bool(2)") == true)
        #expect(try value("bool(null)") == false)
        #expect(try value("bool([])") == false)
        #expect(try value("bool(m)") == true)
        #expect(failure("bool('yes')") == "bool(): 'yes' is not 'true' or 'false'")
    }

    @Test func keysAndValues() throws {
        #expect(try value("keys(m)") == ["a", "b"])
        #expect(try value("values(m)") == [1, "two"])
        #expect(failure("keys(list)") == "keys() takes a map, not a list ([3,1,2])")
        #expect(failure("values('x')") == "values() takes a map, not a text (\"x\")")
    }

    @Test func minAndMax() throws {
        #expect(try value("min(list)") == 1)
        #expect(try value("max(list)") == 3)
        #expect(try value("min(4, 2.5, 3)") == 2.5)
        #expect(try value("max('a', 'c', 'b')") == "c")
        #expect(try value("max(9223372036854775807, 9223372036854775806.0)") == .int(.max))
        #expect(failure("min([])") == "min() of an empty list")
        #expect(failure("max(1, 'a')")?.contains("compares two numbers or two texts") == true)
        #expect(failure("min(3)") == "min() takes a list or several values, not an integer (3)")
    }

    @Test func abs() throws {
        #expect(try value("abs(-3)") == 3)
        #expect(try value("abs(-2.5)") == 2.5)
        #expect(failure("abs(-9223372036854775808)")?.hasPrefix("integer overflow") == true)
        #expect(failure("abs('x')") == "abs() takes a number, not a text (\"x\")")
    }

    @Test func json() throws {
        #expect(try value("json(doc).x[2]") == "y")
        #expect(try value("json('[1, 2]')") == [1, 2])
        #expect(failure("json('{')")?.hasPrefix("json(): the text is not JSON") == true)
        #expect(failure("json(1)") == "json() takes a text, not an integer (1)")
    }

    @Test func base64() throws {
        #expect(try value("b64encode('hello')") == "aGVsbG8=")
        #expect(try value("b64decode('aGVsbG8=')") == "hello")
        #expect(failure("b64decode('***')") == "b64decode(): the text is not base64")
        #expect(failure("b64decode('/w==')") == "b64decode(): the decoded bytes are not UTF-8 text")
        #expect(failure("b64encode(1)") == "b64encode() takes a text, not an integer (1)")
    }

    @Test func patternFunctions() throws {
        #expect(try value("matches(blocks[0], {device: 'ide0'})") == true)
        #expect(try value("matches(5, {'$gt': 3, '$lt': 9})") == true)
        #expect(try value("matches(9, {'$gt': 3, '$lt': 9})") == false)
        #expect(try value("select(blocks, {size: {'$gt': 5}})") == [["device": "virtio0", "size": 7]])
        #expect(try value("first(blocks, {device: {'$regex': '^virtio'}}).size") == 7)
        #expect(failure("first(blocks, {device: 'scsi0'})") == "first(): no element of the list (2) matches a map ({\"device\":\"scsi0\"})")
        #expect(failure("select(1, {})") == "select() takes a list first, not an integer (1)")
        #expect(failure("matches(1, {'$bogus': 1})")?.hasPrefix("matches(): the pattern is not valid at $bogus: unknown operator '$bogus'") == true)
    }

    @Test func freePortGivesADifferentPortEachCall() throws {
        var ports: Set<Int64> = []
        for _ in 0..<20 {
            let port = try #require(try value("free_port()").intValue)
            #expect(port > 0 && port < 65536)
            ports.insert(port)
        }
        #expect(ports.count == 20)
    }

    @Test func unknownFunctionsAndWrongArgumentCounts() {
        #expect(failure("lenn(list)") == "unknown function 'lenn' (did you mean 'len'?)")
        #expect(failure("len()") == "len() takes 1 argument, not 0")
        #expect(failure("free_port(1)") == "free_port() takes no arguments, not 1")
        #expect(failure("min()") == "min() takes at least 1 argument, not 0")
        #expect(failure("matches(1)") == "matches() takes 2 arguments, not 1")
    }
}
