import ArgumentParser

extension Qmpbook {
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "events", abstract: "Not built yet.")

        func run() async throws {
            throw CommandFailure(message: "'events' is not built yet", status: .invalidInput)
        }
    }
}
