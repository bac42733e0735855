/// A JSON object that keeps its keys in the order they were added.
///
/// ```swift
/// var arguments: JSONObject = ["driver": "usb-tablet"]
/// arguments["id"] = "tablet0"
/// arguments.keys  // ["driver", "id"]
/// ```
///
/// Lookups are linear: QMP objects have a handful of members, and a scan of
/// a short array beats hashing. Setting an existing key replaces its value in
/// place; setting a key to nil removes it. Equality ignores order.
public struct JSONObject: Sendable {
    public private(set) var keys: [String]
    public private(set) var values: [JSONValue]

    public init() {
        keys = []
        values = []
    }

    /// Builds an object from pairs; a repeated key keeps its last value.
    public init<S: Sequence>(_ pairs: S) where S.Element == (String, JSONValue) {
        self.init()
        // Room for every pair at once: a literal's members would otherwise grow each array 1 → 2 → 4.
        keys.reserveCapacity(pairs.underestimatedCount)
        values.reserveCapacity(pairs.underestimatedCount)
        for (key, value) in pairs { self[key] = value }
    }

    /// Builds an object from pairs known to have distinct keys, without checking.
    init(uniqueKeys keys: [String], values: [JSONValue]) {
        self.keys = keys
        self.values = values
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = Self.position(of: key, in: keys) else { return nil }
            return values[index]
        }
        set {
            if let index = Self.position(of: key, in: keys) {
                if let newValue {
                    values[index] = newValue
                } else {
                    keys.remove(at: index)
                    values.remove(at: index)
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    /// Where `key` is in `keys`. Keys of different lengths are told apart
    /// by their UTF-8 counts (kept in the string: no scan) before the
    /// comparison of their text, which is most of a lookup's cost.
    @inline(__always)
    static func position(of key: String, in keys: [String]) -> Int? {
        let length = key.utf8.count
        return keys.firstIndex { $0.utf8.count == length && $0 == key }
    }

    /// The members in order, as `(key, value)` pairs.
    public var members: Zip2Sequence<[String], [JSONValue]> { zip(keys, values) }
}

extension JSONObject: Equatable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs.members where rhs[key] != value { return false }
        return true
    }
}

extension JSONObject: Hashable {
    public func hash(into hasher: inout Hasher) {
        // Order-insensitive: combine a commutative sum of member hashes.
        var total = 0
        for (key, value) in members {
            var member = Hasher()
            member.combine(key)
            member.combine(value)
            total &+= member.finalize()
        }
        hasher.combine(count)
        hasher.combine(total)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}

extension JSONObject {
    /// Looks an object's members up by key, trying first the member after
    /// the one it found last: members read in the order they were written
    /// are each found at the first look, not by a scan from the start (a
    /// report's step entry, read back, has 21).
    ///
    /// ```swift
    /// var member = JSONObject.Reader(["index": 0, "name": "boot"])
    /// member("index")  // 0, the first key
    /// member("name")   // "boot", the key after it
    /// ```
    public struct Reader {
        private let object: JSONObject
        private var next = 0

        public init(_ object: JSONObject) {
            self.object = object
        }

        /// The value of `key`, or nil when the object has no such member.
        public mutating func callAsFunction(_ key: String) -> JSONValue? {
            let keys = object.keys
            let index: Int
            if next < keys.count, keys[next] == key {
                index = next
            } else {
                guard let found = JSONObject.position(of: key, in: keys) else { return nil }
                index = found
            }
            next = index + 1
            return object.values[index]
        }
    }
}
