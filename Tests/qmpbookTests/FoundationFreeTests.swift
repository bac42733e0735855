import Foundation
import Testing

/// Every module qmpbook links uses FoundationEssentials, never Foundation:
/// full Foundation brings ICU (about 34 MB of Unicode data in a static
/// binary, and thousands of symbol bindings at every start), which the
/// start-up targets of Docs/performance.md rule out.
struct FoundationFreeTests {
    @Test func noSourceFileImportsFoundation() throws {
        let sources = Repository.path("Sources")
        let files = try #require(FileManager.default.enumerator(atPath: sources)?.allObjects as? [String])
        var offenders: [String] = []
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let words = line.split(separator: " ")
                if let index = words.firstIndex(of: "import"), words.count > index + 1, words[index + 1] == "Foundation" {
                    offenders.append("Sources/\(file):\(number + 1)")
                }
            }
        }
        #expect(files.contains { $0.hasSuffix(".swift") })
        #expect(offenders.isEmpty, "import FoundationEssentials instead: \(offenders)")
    }
}
