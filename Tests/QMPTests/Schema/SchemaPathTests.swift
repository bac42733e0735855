import Testing
import QMP

@Suite struct SchemaPathTests {
    @Test func rendersMembersWithDotsAndIndicesInBrackets() {
        #expect(SchemaPath(["arguments", "capabilities", 0, "capability"]).description == "arguments.capabilities[0].capability")
        #expect(SchemaPath.arguments.appending(member: "file").appending(member: "filename").description == "arguments.file.filename")
        #expect(SchemaPath.waitEvent.appending(index: 2).description == "wait-event[2]")
        #expect(SchemaPath().description == "")
    }
}
