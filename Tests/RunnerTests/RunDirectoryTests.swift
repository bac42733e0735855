import Foundation
import Glibc
import QEMUTestSupport
import QMP
import Testing
@testable import Runner

@Suite struct RunDirectoryTests {
    @Test func isAPrivateFolderThatRemoveDeletes() throws {
        let folder = try RunDirectory()
        var info = stat()
        #expect(stat(folder.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder.file("inside")))
        folder.remove()
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }
}
