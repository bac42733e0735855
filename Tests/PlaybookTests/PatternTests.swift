import QMP
import Testing
@testable import Playbook

@Suite struct PatternTests {
    private func matches(_ pattern: JSONValue, _ value: JSONValue) throws -> Bool {
        try Pattern(pattern).matches(value)
    }

    @Test func mapMatchesASupersetOfItsKeys() throws {
        #expect(try matches(["device": "t0"], ["device": "t0", "path": "/x"]))
        #expect(try !matches(["device": "t0", "path": "/y"], ["device": "t0", "path": "/x"]))
        #expect(try !matches(["device": "t0"], ["path": "/x"]))
        #expect(try matches([:], ["anything": 1]))
        #expect(try !matches(["a": 1], [1]))
    }

    @Test func listMatchesElementByElementWithTheSameLength() throws {
        #expect(try matches([1, ["a": 2]], [1, ["a": 2, "b": 3]]))
        #expect(try !matches([1], [1, 2]))
        #expect(try !matches([1, 2], [2, 1]))
    }

    @Test func scalarsCompareByValue() throws {
        #expect(try matches(1, 1.0))
        #expect(try !matches("1", 1))
        #expect(try matches(true, true))
        #expect(try !matches(true, 1))
    }

    @Test func nullMatchesOnlyNull() throws {
        #expect(try matches(nil, nil))
        #expect(try !matches(nil, 0))
        #expect(try !matches(nil, ""))
        #expect(try !matches(["a": nil], [:]))
        #expect(try matches(["a": nil], ["a": nil]))
    }

    @Test func regexSearchesStrings() throws {
        #expect(try matches(["$regex": "^/machine/"], "/machine/peripheral/t0"))
        #expect(try matches(["$regex": "tablet"], "usb-tablet"))
        #expect(try !matches(["$regex": "^x$"], "xy"))
        #expect(try !matches(["$regex": "1"], 1))
    }

    @Test func existsTestsPresence() throws {
        #expect(try matches(["a": ["$exists": true]], ["a": nil]))
        #expect(try !matches(["a": ["$exists": true]], [:]))
        #expect(try matches(["a": ["$exists": false]], ["b": 1]))
        #expect(try !matches(["a": ["$exists": false]], ["a": 1]))
    }

    @Test func comparisonOperators() throws {
        #expect(try matches(["$gt": 1], 2))
        #expect(try !matches(["$gt": 2], 2))
        #expect(try matches(["$ge": 2], 2.0))
        #expect(try matches(["$lt": 0], -1))
        #expect(try matches(["$le": 1.5], 1.5))
        #expect(try !matches(["$le": 1], "0"))
        #expect(try matches(["$ne": "running"], "paused"))
        #expect(try !matches(["$ne": "running"], "running"))
    }

    @Test func inAndContainsAndAny() throws {
        #expect(try matches(["$in": ["running", "paused"]], "paused"))
        #expect(try !matches(["$in": ["running"]], "prelaunch"))
        #expect(try matches(["$contains": ["name": "oob"]], [["name": "x"], ["name": "oob", "v": 1]]))
        #expect(try !matches(["$contains": "z"], ["a", "b"]))
        #expect(try !matches(["$contains": "z"], "z"))
        #expect(try matches(["a": ["$any": true]], ["a": [1, 2]]))
        #expect(try !matches(["a": ["$any": true]], [:]))
    }

    static let badPatterns: [(JSONValue, String, [String])] = {
        let regx: JSONValue = ["$regx": "a"]
        let gt: JSONValue = ["a": ["$gt": "x"]]
        let regex: JSONValue = ["$regex": "("]
        let inList: JSONValue = ["$in": 1]
        let exists: JSONValue = ["$exists": 1]
        let any: JSONValue = ["$any": false]
        let mixed: JSONValue = ["x": 1, "$ne": 2]
        let inner: JSONValue = ["$bad": 1]
        let nested: JSONValue = [["$contains": inner]]
        return [
            (regx, "unknown operator '$regx' (did you mean '$regex'?)", ["$regx"]),
            (gt, "$gt takes a number", ["a", "$gt"]),
            (regex, "not a valid regular expression", ["$regex"]),
            (inList, "$in takes a list", ["$in"]),
            (exists, "$exists takes true or false", ["$exists"]),
            (any, "$any takes true", ["$any"]),
            (mixed, "a map holds either operators such as '$ne' or plain keys, not both", ["$ne"]),
            (nested, "unknown operator '$bad'", ["0", "$contains", "$bad"]),
        ]
    }()

    @Test(arguments: PatternTests.badPatterns)
    func refusesBadOperatorsWithThePath(pattern: JSONValue, message: String, path: [String]) {
        #expect {
            try Pattern(pattern)
        } throws: { error in
            guard let error = error as? PatternError else { return false }
            return error.message.contains(message) && error.path == path
        }
    }

    @Test func mismatchExplainsInOneSentence() throws {
        let pattern = try Pattern(["device": "tablet0", "info": ["count": ["$gt": 2]]])
        #expect(pattern.mismatch(in: ["device": "tablet0", "info": ["count": 3]]) == nil)
        #expect(pattern.mismatch(in: ["device": "mouse0"]) == #"at device: expected "tablet0" but found "mouse0""#)
        #expect(pattern.mismatch(in: ["device": "tablet0"]) == "at info: expected a value but the key is missing")
        #expect(pattern.mismatch(in: ["device": "tablet0", "info": ["count": 1]]) == "at info.count: expected a number greater than 2 but found 1")
        #expect(try Pattern([1, 2]).mismatch(in: [1]) == "expected a list of 2 but found 1 elements")
        #expect(try Pattern(["$regex": "^a"]).mismatch(in: "b") == #""b" does not match /^a/"#)
    }
}
