import ArgumentParser

extension Qmpbook {
    struct Schema: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "schema", abstract: "Not built yet.")

        func run() async throws {
            throw CommandFailure(message: "'schema' is not built yet", status: .invalidInput)
        }
    }
}
