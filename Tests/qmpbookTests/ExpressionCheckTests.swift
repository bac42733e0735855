import Foundation
import Testing

/// `qmpbook check` on `${…}` expressions and §8.4 patterns: every problem, at
/// the offending character inside the string, exit code 2.
@Suite(.timeLimit(.minutes(2)))
struct ExpressionCheckTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var steps: String
        /// Every expected `line:column: message` (the message may be a prefix).
        var problems: [(Int, Int, String)]

        var testDescription: String { label }
    }

    static let header = "name: t\nvars: {n: 3, dev: d}\ntargets:\n  vm: {connect: /tmp/q.sock}\nsteps:\n"

    static let cases: [Case] = [
        Case(label: "syntax error in a double-quoted string", steps: "  - log: \"size ${n +* 2}\"\n",
             problems: [(6, 21, "in '${n +* 2}': expected a value, found '*'")]),
        Case(label: "unknown function in a plain scalar", steps: "  - log: value ${lenn(n)}\n",
             problems: [(6, 18, "unknown function 'lenn' (did you mean 'len'?) in '${lenn(n)}'")]),
        Case(label: "undefined name in a single-quoted string", steps: "  - log: 'a ${n + missing}'\n",
             problems: [(6, 19, "undefined variable 'missing' in '${n + missing}'")]),
        Case(label: "column after an escape", steps: "  - log: \"\\t${nope}\"\n",
             problems: [(6, 15, "undefined variable 'nope' in '${nope}'")]),
        Case(label: "every problem of one string", steps: "  - log: \"${lenn(x)} ${y}\"\n",
             problems: [(6, 13, "unknown function 'lenn'"), (6, 18, "undefined variable 'x'"), (6, 24, "undefined variable 'y'")]),
        Case(label: "wrong argument count", steps: "  - log: \"${len()}\"\n",
             problems: [(6, 13, "len() takes 1 argument, not 0 (in '${len()}')")]),
        Case(label: "unknown built-in inside an expression", steps: "  - log: \"${n + len(run.nope)}\"\n",
             problems: [(6, 21, "'${run.nope}' is not defined: the built-ins are ${run.dir}, ${run.id}, ${run.started}")]),
        Case(label: "unterminated text", steps: "  - log: \"${dev + 'x}\"\n",
             problems: [(6, 11, "unterminated '${'")]),
        Case(label: "block scalar points at the scalar", steps: "  - log: |\n      ${oops(}\n",
             problems: [(6, 10, "in '${oops(}': the expression ends too early")]),
        Case(label: "undefined name in arguments and match", steps: "  - execute: x\n    arguments: {size: \"${dev.virtual-size + 1}\"}\n  - wait-event: E\n    match: {id: \"${dve}\"}\n",
             problems: [(7, 26, "'${dev.virtual-size + 1}': 'dev' is a string (\"d\") in vars, which has no 'virtual-size': only maps and lists have members"),
                        (9, 20, "undefined variable 'dve' in '${dve}' (did you mean 'dev'?)")]),
        Case(label: "a written-out pattern in matches()", steps: "  - log: \"${matches(n, {'$gt': 1, '$bogus': 2})}\"\n",
             problems: [(6, 13, "matches(): the pattern is not valid at $bogus: unknown operator '$bogus' (in '${matches(n, {'$gt': 1, '$bogus': 2})}')")]),
        Case(label: "several operators, one of them wrong", steps: "  - wait-event: E\n    match: {size: {$gt: 0, $lt: x}}\n",
             problems: [(7, 28, "in match: $lt takes a number, not a string")]),
        Case(label: "$or needs a list", steps: "  - wait-event: E\n    match: {status: {$or: running}}\n",
             problems: [(7, 22, "in match: $or takes a list of patterns, not a string")]),
        Case(label: "$len needs a length pattern", steps: "  - execute: query-block\n    expect: {return: {$len: two}}\n",
             problems: [(7, 23, "in expect.return: $len takes a pattern for a length")]),
        Case(label: "unknown operator inside $not", steps: "  - execute: x\n    until: {a: {$not: {$regx: b}}}\n",
             problems: [(7, 24, "in until: unknown operator '$regx' (did you mean '$regex'?)")]),
    ]

    @Test(arguments: cases)
    func reportsEveryProblemAtItsCharacter(_ input: Case) async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("book.yaml").path
        try Data((Self.header + input.steps).utf8).write(to: URL(fileURLWithPath: path))
        let outcome = try await CheckCommandRunner.run(["check", path])
        #expect(outcome.status == 2)
        let lines = outcome.standardError.split(separator: "\n").map(String.init).filter { $0.hasPrefix(path) }
        #expect(lines.count == input.problems.count, "\(outcome.standardError)")
        for (index, (line, column, message)) in input.problems.enumerated() where index < lines.count {
            #expect(lines[index].hasPrefix("\(path):\(line):\(column): \(message)"), "got \(lines[index])")
        }
        #expect(outcome.standardOutput.isEmpty)
    }

    @Test func validExpressionsAndPatternsPass() async throws {
        let folder = try CheckCommandRunner.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("book.yaml").path
        let steps = """
              - execute: query-block
                register: blocks
              - log: "${len(blocks.return) * 2 + n} devices, first ${first(blocks.return, {device: {'$regex': '^ide'}}).device}"
              - execute: block_resize
                arguments: {device: "${dev}", size: "${blocks.return[0].inserted.image.virtual-size + 1073741824}"}
              - log: "${run.id} ${run.started} ${free_port()} {literal} $${not.an.expression}"
              - wait-event: BLOCK_JOB_COMPLETED
                match: {len: {$gt: 0, $le: 9007199254740993}, device: {$not: {$regex: '^x'}}, type: {$or: [mirror, commit]}, list: {$all: {$len: {$ge: 1}}}}

            """
        try Data((Self.header + steps).utf8).write(to: URL(fileURLWithPath: path))
        let outcome = try await CheckCommandRunner.run(["check", path])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardError.isEmpty)
    }
}
