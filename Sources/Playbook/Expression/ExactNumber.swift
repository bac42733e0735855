public import QMP

/// A number of an expression or a pattern, compared exactly.
///
/// ```swift
/// ExactNumber(.int(9007199254740993))! > ExactNumber(.double(9007199254740992))!   // true
/// ```
///
/// Integers (signed or QEMU's unsigned 64-bit) widen to `Int128`, so they
/// compare exactly with each other; an integer and a float compare by their
/// exact values (no rounding of the integer to a `Double`).
public enum ExactNumber: Sendable, Comparable {
    case integer(Int128)
    case float(Double)

    public init?(_ value: JSONValue) {
        switch value {
        case .int(let value): self = .integer(Int128(value))
        case .uint(let value): self = .integer(Int128(value))
        case .double(let value): self = .float(value)
        default: return nil
        }
    }

    public static func < (lhs: ExactNumber, rhs: ExactNumber) -> Bool {
        compare(lhs, rhs) < 0
    }

    public static func == (lhs: ExactNumber, rhs: ExactNumber) -> Bool {
        compare(lhs, rhs) == 0
    }

    /// -1, 0 or 1. NaN never occurs: JSON and expressions cannot produce it.
    static func compare(_ lhs: ExactNumber, _ rhs: ExactNumber) -> Int {
        switch (lhs, rhs) {
        case (.integer(let a), .integer(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.float(let a), .float(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.integer(let a), .float(let b)): return compare(a, b)
        case (.float(let a), .integer(let b)): return -compare(b, a)
        }
    }

    /// Compares an integer with a float without rounding either.
    private static func compare(_ integer: Int128, _ float: Double) -> Int {
        // Every Int128 a JSON integer can hold is below 2^65 in magnitude.
        if float >= 0x1p100 { return -1 }
        if float <= -0x1p100 { return 1 }
        let whole = float.rounded(.towardZero)
        let wholeInteger = Int128(whole)
        if integer != wholeInteger { return integer < wholeInteger ? -1 : 1 }
        let fraction = float - whole
        return fraction > 0 ? -1 : (fraction < 0 ? 1 : 0)
    }
}
