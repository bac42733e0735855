import QMP
import Testing
@testable import Playbook

/// The operators of §8.4: several in one map, `$not`, `$or`, `$all`, `$len`, exact comparisons.
@Suite struct PatternOperatorTests {
    private func mismatch(_ pattern: JSONValue, _ value: JSONValue) throws -> String? {
        try Pattern(pattern).mismatch(in: value)
    }

    @Test func severalOperatorsInOneMapMustAllHold() throws {
        let range: JSONValue = ["$gt": 0, "$lt": 300]
        #expect(try mismatch(range, 150) == nil)
        #expect(try mismatch(range, 0) == "expected a number greater than 0 but found 0")
        #expect(try mismatch(["downtime": range], ["downtime": 301]) == "at downtime: expected a number less than 300 but found 301")
        #expect(try mismatch(["$regex": "^virtio", "$ne": "virtio0"], "virtio1") == nil)
        #expect(try mismatch(["$regex": "^virtio", "$ne": "virtio0"], "virtio0") == #"expected anything but "virtio0""#)
    }

    @Test func notInvertsAPattern() throws {
        #expect(try mismatch(["status": ["$not": "running"]], ["status": "paused"]) == nil)
        #expect(try mismatch(["status": ["$not": "running"]], ["status": "running"])
                == #"at status: expected a value not matching "running" but found "running""#)
        #expect(try mismatch(["$not": ["$regex": "^ide"]], "ide0") == #"expected a value not matching {"$regex":"^ide"} but found "ide0""#)
        // A missing key matches $not of something that needs the key.
        #expect(try mismatch(["error": ["$not": ["$exists": true]]], [:]) == nil)
    }

    @Test func orNeedsOneAlternative() throws {
        let pattern: JSONValue = ["status": ["$or": ["running", "paused"]]]
        #expect(try mismatch(pattern, ["status": "paused"]) == nil)
        #expect(try mismatch(pattern, ["status": "shutdown"])
                == #"at status: expected a value matching one of ["running","paused"] but found "shutdown""#)
        #expect(try mismatch(["$or": [["$lt": 0], ["$gt": 10]]], 11) == nil)
    }

    @Test func allChecksEveryElement() throws {
        let pattern: JSONValue = ["$all": ["locked": false]]
        #expect(try mismatch(pattern, [["locked": false], ["locked": false, "x": 1]]) == nil)
        #expect(try mismatch(pattern, []) == nil)
        #expect(try mismatch(["blocks": pattern], ["blocks": [["locked": false], ["locked": true]]])
                == "at blocks.1.locked: expected false but found true")
        #expect(try mismatch(pattern, "x") == #"expected a list but found "x""#)
    }

    @Test func lenMatchesTheLength() throws {
        #expect(try mismatch(["$len": 2], [1, 2]) == nil)
        #expect(try mismatch(["$len": 3], "abc") == nil)
        #expect(try mismatch(["$len": ["$gt": 0]], ["a": 1]) == nil)
        #expect(try mismatch(["devices": ["$len": ["$ge": 2]]], ["devices": [1]])
                == "at devices: length 1: expected a number at least 2 but found 1")
        #expect(try mismatch(["$len": 1], 5) == "expected a text, a list or a map (for $len) but found 5")
    }

    @Test func comparisonsOfIntegersAreExact() throws {
        let bound: JSONValue = .int(9_007_199_254_740_992)
        #expect(try mismatch(["$gt": bound], .int(9_007_199_254_740_993)) == nil)
        #expect(try mismatch(["$le": bound], .int(9_007_199_254_740_993)) != nil)
        #expect(try mismatch(["$ge": .uint(.max)], .uint(.max)) == nil)
        #expect(try mismatch(["$lt": .uint(.max)], .uint(.max - 1)) == nil)
        #expect(try mismatch(["$gt": .int(.max)], .uint(UInt64(Int64.max) + 1)) == nil)
        #expect(try mismatch(["$gt": 1.5], 2) == nil)
        #expect(try mismatch(["$gt": 1], "2") == #"expected a number greater than 1 but found "2""#)
        #expect(try mismatch(.int(9_007_199_254_740_993), .double(9_007_199_254_740_992)) != nil)
    }

    static let badShapes: [(JSONValue, String, [String])] = [
        (["$or": 3], "$or takes a list of patterns, not an integer", ["$or"]),
        (["$or": []], "$or takes a list of patterns, not an empty list", ["$or"]),
        (["$or": [1, ["$bad": 1]]], "unknown operator '$bad'", ["$or", "1", "$bad"]),
        (["$not": ["$regex": 1]], "$regex takes a string", ["$not", "$regex"]),
        (["$all": ["$gt": "x"]], "$gt takes a number", ["$all", "$gt"]),
        (["$len": "3"], "$len takes a pattern for a length", ["$len"]),
        (["$len": ["$in": 2]], "$in takes a list", ["$len", "$in"]),
        (["$gt": 0, "$lt": "x"], "$lt takes a number", ["$lt"]),
    ]

    @Test(arguments: badShapes)
    func refusesBadShapesWithThePath(pattern: JSONValue, message: String, path: [String]) {
        #expect {
            try Pattern.check(pattern) { _ in false }
        } throws: { error in
            guard let error = error as? PatternError else { return false }
            return error.message.contains(message) && error.path == path
        }
    }

    @Test func deferredOperandsAreLeftForTheRun() throws {
        try Pattern.check(["$len": "${n}", "$not": "${x}", "$or": "${alternatives}"]) { operand in
            operand.stringValue?.hasPrefix("${") == true
        }
    }
}
