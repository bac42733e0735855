import Glibc
import Testing
@testable import Runner

@Suite struct ExitStatusTests {
    @Test func codesAreThoseOfTheSpec() {
        #expect([ExitStatus.passed, .stepFailed, .invalidInput, .infrastructure].map(\.code) == [0, 1, 2, 3])
        #expect(ExitStatus.interrupted(signal: SIGINT).code == 130)
        #expect(ExitStatus.interrupted(signal: SIGTERM).code == 143)
        #expect(ExitStatus.interrupted(signal: SIGHUP).code == 129)
    }

    @Test func aCodeReadsBackAsItsStatus() {
        for status in [ExitStatus.passed, .stepFailed, .invalidInput, .infrastructure, .interrupted(signal: SIGUSR1)] {
            #expect(ExitStatus(code: status.code) == status)
        }
        #expect(ExitStatus(code: 4) == nil)
        #expect(ExitStatus(code: 128) == nil)
    }

    @Test func runnerErrorsMapToTheirStatus() {
        #expect(ExitStatus(RunnerError.Kind.invalidInput) == .invalidInput)
        #expect(ExitStatus(RunnerError.Kind.infrastructure) == .infrastructure)
    }

    @Test func signalsAreNamed() {
        #expect(ExitStatus.name(ofSignal: SIGUSR2) == "SIGUSR2")
        #expect(ExitStatus.interrupted(signal: SIGINT).description == "130 (SIGINT)")
        #expect(ExitStatus.stepFailed.description == "1")
    }
}
