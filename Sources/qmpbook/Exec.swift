import ArgumentParser

extension Qmpbook {
    struct Exec: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "exec", abstract: "Not built yet.")

        func run() async throws {
            throw CommandFailure(message: "'exec' is not built yet", status: .invalidInput)
        }
    }
}
