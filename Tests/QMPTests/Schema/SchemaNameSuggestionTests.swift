import Testing
@testable import QMP

@Suite struct SchemaNameSuggestionTests {
    @Test func countsSwapsOfNeighboursAsOneEdit() {
        let distance = { (a: String, b: String) in NameSuggestion.distance(Array(a.utf8), Array(b.utf8)) }
        #expect(distance("status", "stauts") == 1)
        #expect(distance("filename", "filname") == 1)
        #expect(distance("", "abc") == 3)
        #expect(distance("kitten", "sitting") == 3)
        #expect(distance("same", "same") == 0)
    }

    @Test func treatsUnderscoreAndDashAndCaseAlike() {
        #expect(NameSuggestion.closest(to: "device-add", among: ["device_add", "device_del"]) == "device_add")
        #expect(NameSuggestion.closest(to: "Device_Deleted", among: ["DEVICE_DELETED"]) == "DEVICE_DELETED")
    }

    @Test func suggestsNothingTooFar() {
        #expect(NameSuggestion.closest(to: "id", among: ["bus"]) == nil)
        #expect(NameSuggestion.closest(to: "xyz", among: ["driver", "node-name"]) == nil)
        #expect(NameSuggestion.closest(to: "nodename", among: ["node-name", "driver"]) == "node-name")
    }

    @Test func prefersTheSameLengthAmongEqualDistances() {
        #expect(NameSuggestion.closest(to: "qcow3", among: ["qcow", "qcow2"]) == "qcow2")
        #expect(NameSuggestion.closest(to: "query-stauts", among: ["query-stats", "query-status"]) == "query-status")
    }
}
