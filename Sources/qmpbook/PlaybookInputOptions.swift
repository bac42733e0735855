import ArgumentParser
import Playbook
import QMP
import Runner

/// `--var NAME=VALUE` and `--target NAME=ADDR`: what `run` and `check` take
/// to fill in a playbook, parsed the same way for both.
struct PlaybookInputOptions: ParsableArguments {
    @Option(name: .customLong("var"), help: ArgumentHelp("Set a variable, replacing the playbook's (VALUE is one YAML scalar; repeatable).", valueName: "NAME=VALUE"))
    var variables: [String] = []

    @Option(name: .customLong("target"), help: ArgumentHelp("Connect target NAME to ADDR (unix:PATH, tcp:HOST:PORT, or libvirt:URI#DOMAIN) instead of its own definition (check: with --live; repeatable).", valueName: "NAME=ADDR"))
    var targets: [String] = []

    /// The `--var` values by name.
    /// - Throws: a ``CommandFailure`` (exit 2) naming the bad argument.
    func parsedVariables() throws -> [String: JSONValue] {
        do throws(Diagnostic) {
            return try Variables.parseOverrides(variables)
        } catch {
            throw CommandFailure(message: error.message, status: .invalidInput)
        }
    }

    /// The `--target` addresses by target name.
    /// - Throws: a ``CommandFailure`` (exit 2) for an argument that is not NAME=ADDR.
    func parsedTargets() throws -> [String: String] {
        var parsed: [String: String] = [:]
        for argument in targets {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw CommandFailure(message: "--target '\(argument)': write NAME=ADDR", status: .invalidInput)
            }
            parsed[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
        }
        return parsed
    }
}
