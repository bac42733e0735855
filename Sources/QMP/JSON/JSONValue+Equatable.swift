extension JSONValue: Equatable {
    /// Structural equality; numbers compare by value, objects ignore key order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.uint(let a), .uint(let b)): return a == b
        default:
            guard let a = lhs.doubleValue, let b = rhs.doubleValue else { return false }
            if case .int(let x) = lhs, case .uint(let y) = rhs { return x >= 0 && UInt64(x) == y }
            if case .uint(let x) = lhs, case .int(let y) = rhs { return y >= 0 && UInt64(y) == x }
            return a == b
        }
    }
}

extension JSONValue: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let value): hasher.combine(value)
        case .string(let value): hasher.combine(value)
        case .array(let value): hasher.combine(value)
        case .object(let value): hasher.combine(value)
        case .int, .uint, .double: hasher.combine(doubleValue ?? 0)
        }
    }
}
