import ArgumentParser
import Foundation
import QMP
import Runner

/// `--color auto|always|never`: whether the progress lines are colored.
enum ColorChoice: String, CaseIterable, Sendable, ExpressibleByArgument {
    case auto, always, never
}

extension ProgressPrinter {
    /// The progress printer of `run` and `check --live`, deciding what the
    /// library leaves to its caller: colors (`--color`; auto: a terminal,
    /// `TERM` set and not `dumb`, no `NO_COLOR`) and the live line of the
    /// running step (a terminal whose `TERM` is set and not `dumb`).
    convenience init(verbosity: Verbosity, color choice: ColorChoice, standardError: Bool) {
        let terminal = System.isTerminal(standardError ? 2 : 1)
        let environment = ProcessInfo.processInfo.environment
        let capable = terminal && environment["TERM"] != nil && environment["TERM"] != "dumb"
        let color: Bool
        switch choice {
        case .always: color = true
        case .never: color = false
        case .auto: color = capable && environment["NO_COLOR"] == nil
        }
        self.init(
            verbosity: verbosity, color: color, liveLine: capable, standardError: standardError,
            columns: capable ? System.terminalColumns(standardError ? 2 : 1) : nil)
    }
}
