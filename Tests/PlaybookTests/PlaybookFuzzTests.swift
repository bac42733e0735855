import QMP
import Testing
@testable import Playbook

/// Thousands of random and mutated inputs: the loader ends every one in a
/// playbook or in problems located inside the input, and never traps or
/// hangs. Inputs that cannot be a playbook (no `name`, random bytes) must
/// end in problems.
@Suite struct PlaybookFuzzTests {
    /// SplitMix64: small, seeded, the same sequence on every run.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds: [String] = [
        PlaybookLoaderTests.example,
        """
        name: USB tablet hot-plug
        vars: {dev: tablet0}
        targets:
          vm:
            launch: [qemu-system-x86_64, -M, pc, -nodefaults, -device, "qemu-xhci,id=xhci"]
        steps:
          - execute: device_add
            arguments: {driver: usb-tablet, id: "${dev}"}
          - id: unplug
            execute: device_del
            arguments: {id: "${dev}"}
          - wait-event: DEVICE_DELETED
            match: {device: "${dev}", path: {$regex: "^/machine"}, n: {$gt: 1}}
            since: unplug
            timeout: 5s
        always:
          - execute: query-status
        """,
        "name: a\nbase: &b {x: [1, 2, {y: *b}]}\n",
    ]

    static let fragments: [String] = [
        ":", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "\t", "\"", "'", "${", "}", "$${", "\n", "#", "? ", "!!str ",
        "|\n", ">\n", "---\n", "...\n", "execute: x", "sleep: 1s", "wait-event: E", "id: a", "since: a", "target: vm",
        "{$regex: '('}", "{$in: 3}", "0o777", "~", "null", "\u{0}", "\u{FEFF}", "é", "  ", "\r\n", "%YAML 1.2\n",
    ]

    /// Checks the loader's outcome for `bytes`; with `mustFail`, that it is problems.
    private func checkOutcome(of bytes: [UInt8], mustFail: Bool = false) {
        switch PlaybookLoader.load(bytes: bytes, path: "fuzz.yaml") {
        case .success(let playbook):
            #expect(!mustFail, "loaded a playbook from input that cannot be one: \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            #expect(!playbook.steps.isEmpty)
            #expect(!playbook.targets.isEmpty)
        case .failure(let problems):
            #expect(!problems.diagnostics.isEmpty)
            // Lines counted as libyaml does: \n, \r\n and a lone \r each end one.
            let lines = bytes.indices.filter { bytes[$0] == 0x0A || (bytes[$0] == 0x0D && $0 + 1 < bytes.count && bytes[$0 + 1] != 0x0A) }.count + 1
            for problem in problems.diagnostics {
                #expect(!problem.message.isEmpty)
                if let location = problem.location {
                    #expect(location.file == "fuzz.yaml")
                    #expect(location.line >= 1 && location.column >= 1)
                    // Inside the input, or at its end (libyaml reports the end of an
                    // unfinished last line at column 1 of the line after it).
                    let inside = location.line <= lines || (location.line == lines + 1 && location.column == 1)
                    #expect(inside, "\(problem) is past the input's \(lines) lines: \(String(decoding: bytes, as: UTF8.self).debugDescription)")
                }
            }
        }
    }

    private func mutate(_ input: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 1:
                let fragment = Self.fragments.randomElement(using: &random)!
                bytes.insert(contentsOf: Array(fragment.utf8), at: position)
            case 2 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...20, using: &random))
                bytes.removeSubrange(position..<end)
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...60, using: &random))
                let slice = Array(bytes[position..<end])
                bytes.insert(contentsOf: slice, at: Int.random(in: 0...bytes.count, using: &random))
            case 4:
                // Swap two lines: changes structure, keeps tokens.
                var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                if lines.count > 2 {
                    lines.swapAt(Int.random(in: 0..<lines.count, using: &random), Int.random(in: 0..<lines.count, using: &random))
                    bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
                }
            default:
                bytes = Array(bytes.prefix(position))
            }
        }
        return bytes
    }

    /// Lets other tests run every few dozen inputs: these loops are pure CPU,
    /// and the cooperative pool has as few threads as the machine has cores.
    private static func shareTheThread(_ round: Int) async {
        if round % 25 == 0 { await Task.yield() }
    }

    @Test(.timeLimit(.minutes(2)))
    func mutatedPlaybooksEndInAPlaybookOrProblems() async {
        var random = SeededGenerator(state: 0x5EED_0001)
        for round in 0..<4000 {
            await Self.shareTheThread(round)
            let seed = Array(Self.seeds[round % Self.seeds.count].utf8)
            checkOutcome(of: mutate(seed, using: &random))
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func randomTokenSoupEndsInProblems() async {
        var random = SeededGenerator(state: 0x5EED_0002)
        for round in 0..<3000 {
            await Self.shareTheThread(round)
            var text = ""
            for _ in 0..<Int.random(in: 0...40, using: &random) {
                text += Self.fragments.randomElement(using: &random)!
            }
            // No fragment holds `name`, which a playbook requires.
            checkOutcome(of: Array(text.utf8), mustFail: true)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func randomBytesEndInProblems() async {
        var random = SeededGenerator(state: 0x5EED_0003)
        for round in 0..<2000 {
            await Self.shareTheThread(round)
            let bytes = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            checkOutcome(of: bytes, mustFail: true)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func randomTemplatesAndPatternsNeverTrap() async {
        var random = SeededGenerator(state: 0x5EED_0004)
        let pieces = ["${", "}", "$", "$${", "a", ".", "0", "dev", "n", "nested", "env", "run", "dir", " "]
        let variables = Variables(vars: ["dev": "x", "n": 1, "nested": [["a": 1]]], environment: [:])
        let operators = Pattern.operators + ["$bogus", "plain"]
        for round in 0..<3000 {
            await Self.shareTheThread(round)
            let text = (0..<Int.random(in: 0...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            _ = try? Template.resolve(.string(text), with: variables)
            let key = operators.randomElement(using: &random)!
            let operand: JSONValue = [1, "a", true, nil, [1, 2], ["k": 1]].randomElement(using: &random)!
            if let pattern = try? Pattern([key: operand]) {
                let value: JSONValue = [1, "a", nil, [1], ["plain": 1]].randomElement(using: &random)!
                #expect(pattern.matches(value) == (pattern.mismatch(in: value) == nil))
            }
        }
    }
}
