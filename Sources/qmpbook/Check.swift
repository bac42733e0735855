import ArgumentParser

extension Qmpbook {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Not built yet.")

        func run() async throws {
            throw CommandFailure(message: "'check' is not built yet", status: .invalidInput)
        }
    }
}
