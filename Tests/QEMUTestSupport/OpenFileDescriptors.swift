import Foundation

/// What this process has open, read from `/proc/self/fd`, for leak checks.
///
/// Tests run in parallel, so a count that changes may be another test's
/// doing. Prefer ``isOpen(_:)`` with a ``Descriptor`` captured while it was
/// open: it compares the descriptor's target too, so a number that was
/// closed and reused by someone else counts as closed.
public enum OpenFileDescriptors {
    /// One open descriptor and what it refers to (`socket:[1234]`, a path…).
    public struct Descriptor: Hashable, Sendable, CustomStringConvertible {
        public var number: Int32
        public var target: String
        public var description: String { "\(number) -> \(target)" }
    }

    /// The number of descriptors open right now.
    public static var count: Int { all().count }

    /// Every descriptor open right now.
    public static func all() -> [Descriptor] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { name in
            guard let number = Int32(name),
                  let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")
            else { return nil }
            return Descriptor(number: number, target: target)
        }
    }

    /// The descriptor `number` as it is now, or nil when it is not open.
    public static func descriptor(_ number: Int32) -> Descriptor? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(number)") else { return nil }
        return Descriptor(number: number, target: target)
    }

    /// Whether `descriptor` is still open and refers to the same thing.
    public static func isOpen(_ descriptor: Descriptor) -> Bool {
        Self.descriptor(descriptor.number) == descriptor
    }

    /// The descriptors open now whose target contains `fragment` (a path, or `socket:`).
    public static func matching(_ fragment: String) -> [Descriptor] {
        all().filter { $0.target.contains(fragment) }
    }
}
