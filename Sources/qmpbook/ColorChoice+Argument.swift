import ArgumentParser
import Runner

/// `--color auto|always|never`: parsed, listed in `--help` and completed by the shell scripts.
extension ProgressPrinter.ColorChoice: ExpressibleByArgument {}
