import QMP
import Testing
@testable import Playbook

/// Random integer arithmetic, evaluated by the expression language and by
/// Swift's checked arithmetic: the same result or, for both, an overflow.
@Suite struct ExpressionPropertyTests {
    /// A small deterministic generator (SplitMix64), so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func operand(_ random: inout SplitMix) -> Int64 {
        switch random.next() % 4 {
        case 0: return Int64.random(in: -10...10, using: &random)
        case 1: return Int64.random(in: -1_000_000...1_000_000, using: &random)
        case 2: return [Int64.max, .min, .max - 1, .min + 1, 1 << 62, -(1 << 62), 1 << 53][Int(random.next() % 7)]
        default: return Int64(bitPattern: random.next())
        }
    }

    /// Swift's answer, nil for overflow or division by zero; `//` and `%` floor.
    static func expected(_ a: Int64, _ op: String, _ b: Int64) -> Int64? {
        switch op {
        case "+": let (r, o) = a.addingReportingOverflow(b); return o ? nil : r
        case "-": let (r, o) = a.subtractingReportingOverflow(b); return o ? nil : r
        case "*": let (r, o) = a.multipliedReportingOverflow(by: b); return o ? nil : r
        case "//", "%":
            guard b != 0 else { return nil }
            let (q, o) = a.dividedReportingOverflow(by: b)
            if o { return nil }
            let r = a % b
            let floors = r != 0 && (r < 0) != (b < 0)
            return op == "//" ? (floors ? q - 1 : q) : (floors ? r + b : r)
        default: return nil
        }
    }

    @Test(arguments: [1, 2, 3, 4])
    func integerArithmeticMatchesSwift(seed: UInt64) throws {
        var random = SplitMix(state: seed)
        for _ in 0..<2_000 {
            let a = Self.operand(&random), b = Self.operand(&random)
            let op = ["+", "-", "*", "//", "%"][Int(random.next() % 5)]
            // Variables hold the operands, so a negative literal needs no unary minus.
            let evaluator = Evaluator(variables: Variables(vars: ["a": .int(a), "b": .int(b)]))
            let expression = try Expression(parsing: "a \(op) b")
            let outcome = try? evaluator.evaluate(expression)
            let wanted = Self.expected(a, op, b)
            #expect(outcome == wanted.map { JSONValue.int($0) }, "\(a) \(op) \(b)")
        }
    }

    @Test(arguments: [5, 6])
    func comparisonsMatchInt128(seed: UInt64) throws {
        var random = SplitMix(state: seed)
        for _ in 0..<2_000 {
            let a = Self.operand(&random), b = Self.operand(&random)
            let evaluator = Evaluator(variables: Variables(vars: ["a": .int(a), "b": .double(Double(b))]))
            let got = try evaluator.evaluate(Expression(parsing: "a < b"))
            // Double(b) is exact as a rational; compare through Int128 and the fraction-free double.
            let exactB = Double(b)
            let wanted: Bool
            if exactB >= 0x1p63 { wanted = true } else { wanted = Int128(a) < Int128(exactB) }
            #expect(got == .bool(wanted), "\(a) < \(exactB)")
        }
    }

    @Test(arguments: [7, 8])
    func strAndJSONRoundTrip(seed: UInt64) throws {
        var random = SplitMix(state: seed)
        func sample(_ depth: Int) -> JSONValue {
            switch random.next() % (depth > 2 ? 5 : 7) {
            case 0: return .int(Self.operand(&random))
            case 1: return .bool(random.next() % 2 == 0)
            case 2: return .null
            case 3: return .string(String(repeating: ["a", "\"", "\\", "é", "\n", " "][Int(random.next() % 6)], count: Int(random.next() % 4)))
            case 4: return .double(Double(Int64.random(in: -1000...1000, using: &random)) / 8)
            case 5: return .array((0..<Int(random.next() % 3)).map { _ in sample(depth + 1) })
            default:
                var object = JSONObject()
                for index in 0..<Int(random.next() % 3) { object["k\(index)"] = sample(depth + 1) }
                return .object(object)
            }
        }
        for _ in 0..<500 {
            let value = sample(0)
            let evaluator = Evaluator(variables: Variables(vars: ["v": value]))
            // Wrapped in a list: str() of a text is the text itself, not JSON.
            #expect(try evaluator.evaluate(Expression(parsing: "json(str([v]))[0] == v")) == true, "\(value.jsonText)")
        }
    }
}
