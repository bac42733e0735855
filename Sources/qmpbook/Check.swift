import ArgumentParser
import Playbook
import QMP

extension Qmpbook {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate playbooks without touching any VM.",
            discussion: """
                Prints every problem as FILE:LINE:COLUMN: MESSAGE on standard error and \
                exits with 2, or prints a one-line summary and exits with 0.
                """
        )

        @Argument(help: "The playbooks to check.")
        var playbooks: [String] = []

        @Option(name: .customLong("var"), help: ArgumentHelp("Define a variable (VALUE is a YAML scalar).", valueName: "NAME=VALUE"))
        var variables: [String] = []

        func run() async throws {
            try await reportingFailures {
                guard !playbooks.isEmpty else {
                    throw CommandFailure(message: "check: give at least one playbook", status: .invalidInput)
                }
                let overrides: [String: JSONValue]
                do throws(Diagnostic) {
                    overrides = try Variables.parseOverrides(variables)
                } catch {
                    throw CommandFailure(message: error.message, status: .invalidInput)
                }
                var problems = 0
                var failedFiles = 0
                var steps = 0
                var targets = 0
                for path in playbooks {
                    switch PlaybookLoader.load(path: path, variables: overrides) {
                    case .success(let playbook):
                        steps += playbook.steps.count + playbook.always.count
                        targets += playbook.targets.count
                    case .failure(let failure):
                        failedFiles += 1
                        problems += failure.diagnostics.count
                        for diagnostic in failure.diagnostics {
                            StandardError.writeLine(diagnostic.description)
                        }
                    }
                }
                guard problems == 0 else {
                    let files = playbooks.count == 1 ? "" : " in \(failedFiles) of \(playbooks.count) playbooks"
                    throw CommandFailure(message: "\(problems) \(problems == 1 ? "problem" : "problems")\(files)", status: .invalidInput)
                }
                let what = playbooks.count == 1 ? playbooks[0] : "\(playbooks.count) playbooks"
                print("\(what): ok (\(steps) \(steps == 1 ? "step" : "steps"), \(targets) \(targets == 1 ? "target" : "targets"))")
            }
        }
    }
}
