import ArgumentParser

extension Qmpbook {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Not built yet.")

        func run() async throws {
            throw CommandFailure(message: "'run' is not built yet", status: .invalidInput)
        }
    }
}
