import FoundationEssentials
import QMP
import Runner

/// Writes to standard error (Glibc's `stderr` global is not usable from Swift 6).
enum StandardError {
    /// Writes `line` with its control characters shown as `\x1b`… (names and
    /// QEMU's texts in messages must not drive the terminal).
    static func writeLine(_ line: String) {
        System.write(TerminalText.escape(line) + "\n", to: 2)
    }
}
