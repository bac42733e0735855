import ArgumentParser
import FoundationEssentials
import QMP
import Runner

/// `--color auto|always|never`: whether the progress lines are colored.
enum ColorChoice: String, CaseIterable, Sendable, ExpressibleByArgument {
    case auto, always, never
}

/// What the progress output's terminal can show, as the command line decides
/// it for the library: the live line (a terminal whose `TERM` is set and not
/// `dumb`) and colors (`--color`; auto: such a terminal, and no `NO_COLOR`).
struct TerminalAbilities {
    var liveLine: Bool
    var color: Bool

    init(_ choice: ColorChoice, standardError: Bool) {
        let environment = ProcessInfo.processInfo.environment
        liveLine = System.isTerminal(standardError ? 2 : 1) && environment["TERM"] != nil && environment["TERM"] != "dumb"
        switch choice {
        case .always: color = true
        case .never: color = false
        case .auto: color = liveLine && environment["NO_COLOR"] == nil
        }
    }
}

extension ProgressPrinter {
    /// The progress printer of `run` and `check --live`, deciding what the
    /// library leaves to its caller: colors (`--color`; auto: a terminal,
    /// `TERM` set and not `dumb`, no `NO_COLOR`) and the live line of the
    /// running step (a terminal whose `TERM` is set and not `dumb`).
    convenience init(verbosity: Verbosity, color choice: ColorChoice, standardError: Bool) {
        let terminal = TerminalAbilities(choice, standardError: standardError)
        self.init(
            verbosity: verbosity, color: terminal.color, liveLine: terminal.liveLine, standardError: standardError,
            columns: terminal.liveLine ? System.terminalColumns(standardError ? 2 : 1) : nil)
    }
}
