internal import Glibc

extension System {
    /// A terminal's settings (termios) as saved by ``terminalSettings(_:)``, to be put back later.
    package struct TerminalSettings: Sendable, Equatable {
        /// The `struct termios` as bytes: the Glibc type stays out of this module's package API.
        fileprivate var bytes: [UInt8]

        fileprivate init(_ value: termios) {
            bytes = withUnsafeBytes(of: value) { Array($0) }
        }

        fileprivate var value: termios {
            var value = termios()
            withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes) }
            return value
        }

        /// These settings for a line editor: no echo, no line buffering,
        /// no signals from the keyboard (Ctrl-C arrives as a byte), no flow
        /// control or CR-to-NL translation; one byte at a time. Output
        /// processing (`\n` written as `\r\n`) stays as it was.
        package var forLineEditing: TerminalSettings {
            var raw = value
            raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
            raw.c_cflag |= tcflag_t(CS8)
            raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
            withUnsafeMutableBytes(of: &raw.c_cc) { characters in
                characters[Int(VMIN)] = 1
                characters[Int(VTIME)] = 0
            }
            return TerminalSettings(raw)
        }
    }

    /// tcgetattr(3): the settings of the terminal on `fd`.
    package static func terminalSettings(_ fd: Int32) -> Result<TerminalSettings, SystemError> {
        var value = termios()
        return valueOrErrno("tcgetattr") { Glibc.tcgetattr(fd, &value) }.map { _ in TerminalSettings(value) }
    }

    /// tcsetattr(3) with TCSADRAIN: output written so far goes out first; input typed ahead is kept.
    package static func setTerminalSettings(_ fd: Int32, _ settings: TerminalSettings) -> Result<Void, SystemError> {
        var value = settings.value
        return valueOrErrno("tcsetattr") { Glibc.tcsetattr(fd, TCSADRAIN, &value) }.map { _ in () }
    }
}
