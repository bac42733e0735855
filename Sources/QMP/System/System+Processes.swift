internal import Glibc

extension System {
    /// getenv(3): the environment variable `name`, or nil when it is not set.
    /// One lookup, where `ProcessInfo.environment` copies the whole environment
    /// into a dictionary.
    package static func environmentValue(_ name: String) -> String? {
        Glibc.getenv(name).map { String(cString: $0) }
    }

    /// exit(3): ends the process with `status`, flushing C's stdio.
    package static func exit(_ status: Int32) -> Never {
        Glibc.exit(status)
    }

    /// SIGINT
    package static let signalInterrupt = SIGINT
    /// SIGTERM
    package static let signalTerminate = SIGTERM
    /// SIGUSR1
    package static let signalUser1 = SIGUSR1
    /// SIGUSR2
    package static let signalUser2 = SIGUSR2
    /// SIGKILL
    package static let signalKill = SIGKILL
    /// SIGPIPE
    package static let signalBrokenPipe = SIGPIPE

    /// getpid(2).
    package static var processID: Int32 { Glibc.getpid() }

    /// The calling thread's identity, for telling threads apart. pthread_self(3)
    package static func currentThread() -> UInt {
        UInt(Glibc.pthread_self())
    }

    /// kill(2).
    @discardableResult
    package static func kill(_ pid: Int32, _ signal: Int32) -> Result<Void, SystemError> {
        valueOrErrno("kill") { Glibc.kill(pid, signal) }.map { _ in () }
    }

    /// signal(2) with SIG_IGN: the process ignores `number` (inherited as the
    /// default by children, see ``spawnInGroup(_:environment:directory:standardInput:standardOutput:standardError:)``).
    package static func ignoreSignal(_ number: Int32) {
        _ = Glibc.signal(number, SIG_IGN)
    }

    /// waitid(2) with WEXITED | WNOWAIT: blocks until `pid` has exited, without reaping it.
    package static func waitForExitWithoutReaping(_ pid: Int32) -> Result<Void, SystemError> {
        var info = siginfo_t()
        return valueOrErrno("waitid") { Glibc.waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) }.map { _ in () }
    }

    /// waitpid(2): reaps `pid`; its raw wait status.
    package static func waitpid(_ pid: Int32) -> Result<Int32, SystemError> {
        var status: Int32 = 0
        return valueOrErrno("waitpid") { Glibc.waitpid(pid, &status, 0) }.map { _ in status }
    }

    /// The name of a signal number, `SIGKILL` style.
    package static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: return "SIGHUP"
        case SIGINT: return "SIGINT"
        case SIGQUIT: return "SIGQUIT"
        case SIGILL: return "SIGILL"
        case SIGABRT: return "SIGABRT"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGKILL: return "SIGKILL"
        case SIGSEGV: return "SIGSEGV"
        case SIGPIPE: return "SIGPIPE"
        case SIGALRM: return "SIGALRM"
        case SIGTERM: return "SIGTERM"
        case SIGUSR1: return "SIGUSR1"
        case SIGUSR2: return "SIGUSR2"
        case SIGTRAP: return "SIGTRAP"
        case SIGXCPU: return "SIGXCPU"
        default: return "signal \(signal)"
        }
    }

    /// `seconds` since the epoch as a UTC calendar date and time: what
    /// gmtime_r(3) gives, by arithmetic alone (gmtime_r takes the time zone
    /// lock, and the report asks once per step). The proleptic Gregorian
    /// calendar counted in 400-year eras of 146,097 days, each era starting
    /// on 1 March so that the leap day falls last.
    package static func utcTime(_ seconds: Int64) -> CalendarTime {
        let secondsPerDay: Int64 = 86_400
        var days = seconds / secondsPerDay
        var timeOfDay = seconds % secondsPerDay
        if timeOfDay < 0 {
            days -= 1
            timeOfDay += secondsPerDay
        }
        // Days since 0000-03-01; 719,468 of them come before 1970-01-01.
        let sinceMarchZero = days + 719_468
        let era = (sinceMarchZero >= 0 ? sinceMarchZero : sinceMarchZero - 146_096) / 146_097
        let dayOfEra = sinceMarchZero - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        // Months from March: March to July and August to December run 31, 30, 31, 30, 31.
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return CalendarTime(year: Int(year), month: Int(month), day: Int(day), hour: Int(timeOfDay / 3_600),
                            minute: Int(timeOfDay / 60 % 60), second: Int(timeOfDay % 60))
    }

    /// The seconds since 1970 of a UTC calendar time (timegm(3)), the inverse of ``utcTime(_:)``.
    package static func utcSeconds(_ time: CalendarTime) -> Int64 {
        var parts = tm()
        parts.tm_year = Int32(time.year - 1900)
        parts.tm_mon = Int32(time.month - 1)
        parts.tm_mday = Int32(time.day)
        parts.tm_hour = Int32(time.hour)
        parts.tm_min = Int32(time.minute)
        parts.tm_sec = Int32(time.second)
        return Int64(Glibc.timegm(&parts))
    }

    /// A calendar date and time of day, as ``utcTime(_:)`` returns it.
    package struct CalendarTime: Sendable, Equatable {
        package var year, month, day, hour, minute, second: Int

        package init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
            (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
        }
    }
}
