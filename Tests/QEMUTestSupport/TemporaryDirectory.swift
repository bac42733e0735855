import Foundation

/// A private folder under the system's temporary folder, removed by
/// ``remove()`` or when the value is deinitialized.
///
/// Paths are kept short: unix socket paths are limited to 107 bytes.
public final class TemporaryDirectory: Sendable {
    /// The folder's absolute path.
    public let path: String

    /// Creates a fresh folder named `qmpbook-PREFIX-XXXXXX`.
    public init(prefix: String = "test") throws {
        var template = Array("\(NSTemporaryDirectory())/qmpbook-\(prefix)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let created else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: prefix])
        }
        path = URL(fileURLWithPath: String(cString: created)).standardizedFileURL.path
    }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Removes the folder and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit { remove() }
}
