import Foundation
import QEMUTestSupport
import QMP
import Testing

/// What a bad inventory or fleet invocation gets (SPEC.md §6, §11): exit 2,
/// one line per problem with file:line:column, nothing run.
@Suite struct FleetInputTests {
    static let playbook = """
        name: fleet input
        vars:
          disk: vda
        targets:
          vm: {connect: unix:/nonexistent/x.qmp}
        steps:
          - log: "${member.name} ${disk}"
        """

    /// Runs `qmpbook ARGUMENTS` with `book.yaml` and `lab.yaml` (holding `inventory`) in a fresh folder.
    func qmpbook(_ inventory: String, _ arguments: [String]) async throws -> (ProgramOutput, TemporaryDirectory) {
        let folder = try TemporaryDirectory(prefix: "fleet-input")
        try Self.playbook.write(toFile: folder.file("book.yaml"), atomically: false, encoding: .utf8)
        try inventory.write(toFile: folder.file("lab.yaml"), atomically: false, encoding: .utf8)
        let resolved = arguments.map { $0.replacingOccurrences(of: "DIR/", with: folder.path + "/") }
        return (try await runProgram(try Executables.qmpbook, resolved), folder)
    }

    @Test(arguments: [
        ("members:\n  web-01:\n    targets: {vn: {connect: unix:/x.qmp}}\n",
         "lab.yaml:3:15: member 'web-01': the playbook has no target 'vn' (did you mean 'vm'?) (it has vm)"),
        ("members:\n  web-01: {colour: red}\n",
         "lab.yaml:2:12: unknown key 'colour' in member 'web-01'"),
        ("members:\n  ci-*: {}\n",
         "lab.yaml:2:3: member template 'ci-*' needs count: how many members it makes ('*' becomes 1 … count)"),
        ("members:\n  ci-*: {count: 0}\n",
         "lab.yaml:2:17: count must be a whole number from 1 to 10000, not '0'"),
        ("members:\n  ci-*: {count: many}\n",
         "lab.yaml:2:17: count must be a whole number from 1 to 10000, not 'many'"),
        ("members:\n  ci-*-*: {count: 2}\n",
         "lab.yaml:2:3: member template 'ci-*-*' has more than one '*': the number goes in one place"),
        ("members:\n  plain: {count: 3}\n",
         "lab.yaml:2:11: count is for a member template: put one '*' in the name ('plain-*') for the number"),
        ("members:\n  ci-2: {}\n  ci-*: {count: 3}\n",
         "lab.yaml:3:3: member 'ci-2' is defined twice (first at "),
        ("members:\n  \"a/b\": {}\n",
         "lab.yaml:2:3: member name 'a/b' cannot be a file name: use letters, digits, '.', '_' and '-' (not first)"),
        ("members:\n  v: {vars: {member: 1}}\n",
         "lab.yaml:2:14: 'member' is a built-in name (${member.…}); choose another variable name"),
        ("members:\n  v: {targets: {vm: {connect: \"unix:/x/${nope}.qmp\"}}}\n",
         "lab.yaml:2:42: undefined variable 'nope'"),
        ("members:\n  v: {targets: {vm: {launch: []}}}\n",
         "lab.yaml:2:30: launch needs at least the QEMU program"),
        ("members: {}\n",
         "lab.yaml:1:1: the inventory has no members: add one under 'members' or a 'from-libvirt' entry"),
        ("hosts: {}\n",
         "lab.yaml:1:1: unknown key 'hosts' at the top level of an inventory"),
        ("members: [\n",
         "lab.yaml:2:1: did not find expected node content while parsing a flow node"),
        ("from-libvirt:\n  - {uri: \"qemu:///system\", domains: {$regexx: \"^db\"}, target: vm}\n",
         "lab.yaml:2:38: domains: unknown operator '$regexx' (did you mean '$regex'?)"),
        ("from-libvirt:\n  - {uri: \"qemu:///system\", domains: x, target: vn}\n",
         "lab.yaml:2:49: from-libvirt target: the playbook has no target 'vn' (did you mean 'vm'?) (it has vm)"),
        ("from-libvirt:\n  - {domains: x, target: vm}\n",
         "lab.yaml:2:5: a from-libvirt entry needs 'uri'"),
    ])
    func aBadInventoryIsExitTwoWithItsPlace(inventory: String, expected: String) async throws {
        for command in [["run", "DIR/book.yaml", "--inventory", "DIR/lab.yaml"], ["check", "DIR/book.yaml", "--inventory", "DIR/lab.yaml"]] {
            let (output, folder) = try await qmpbook(inventory, command)
            #expect(output.status == 2, "\(command[0]): \(output.standardError)")
            #expect(output.standardError.contains(folder.path + "/" + expected), "\(command[0]): \(output.standardError)")
            #expect(!FileManager.default.fileExists(atPath: "book.fleet-report.json"))
        }
    }

    @Test func aMemberVariableTheInventoryDefinesCountsAsDefinedForThePlaybook() async throws {
        let folder = try TemporaryDirectory(prefix: "fleet-input")
        try """
            name: needs a member var
            targets:
              vm: {connect: unix:/nonexistent/x.qmp}
            steps:
              - log: "${colour}"
            """.write(toFile: folder.file("book.yaml"), atomically: false, encoding: .utf8)
        try "members:\n  a: {vars: {colour: red}}\n".write(toFile: folder.file("lab.yaml"), atomically: false, encoding: .utf8)
        let output = try await runProgram(try Executables.qmpbook, ["check", folder.file("book.yaml"), "--inventory", folder.file("lab.yaml")])
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardOutput.contains("with \(folder.file("lab.yaml")): ok (1 member, 1 step)"))
    }

    @Test(arguments: [
        (["--parallel", "0"], "--parallel 0: run at least 1 member at a time"),
        (["--parallel", "x"], "--parallel"),
        (["--html", "DIR/book.yaml"], "--html"),
        (["--target", "vm=unix:/x.qmp"], "--target cannot be used with --inventory"),
        (["--report", "DIR/lab.yaml"], "--report"),
        (["--inventory", "DIR/missing.yaml"], "missing.yaml"),
    ])
    func aBadFleetInvocationIsExitTwo(arguments: [String], expected: String) async throws {
        var command = ["run", "DIR/book.yaml"]
        if !arguments.contains("--inventory") { command += ["--inventory", "DIR/lab.yaml"] }
        let (output, _) = try await qmpbook("members:\n  a: {}\n", command + arguments)
        #expect(output.status == 2, "\(output.standardError)")
        #expect(output.standardError.contains(expected), "\(output.standardError)")
    }

    @Test(arguments: [["--parallel", "2"], ["--limit", "a*"], ["--report-dir", "x"]])
    func fleetOptionsNeedAnInventory(arguments: [String]) async throws {
        let (output, _) = try await qmpbook("members:\n  a: {}\n", ["run", "DIR/book.yaml"] + arguments)
        #expect(output.status == 2)
        #expect(output.standardError.contains("\(arguments[0]) needs --inventory"))
    }
}
