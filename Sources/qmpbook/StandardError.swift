import Foundation

/// Writes to standard error (Glibc's `stderr` global is not usable from Swift 6).
enum StandardError {
    static func writeLine(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
