import ArgumentParser
import Playbook
import QMP

extension Qmpbook {
    struct Schema: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schema",
            abstract: "Print the JSON Schema (draft 2020-12) of the playbook format, for editors."
        )

        func run() async throws {
            print(PlaybookSchema.jsonSchema.prettyJSONText)
        }
    }
}
