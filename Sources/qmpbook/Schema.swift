import ArgumentParser
import Playbook
import QMP

extension Qmpbook {
    struct Schema: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schema",
            abstract: "Print the JSON Schema (draft 2020-12) of the playbook format, for editors."
        )

        @Flag(help: "Print the schema of the inventory format (run --inventory) instead.")
        var inventory = false

        func run() async throws {
            print((inventory ? InventorySchema.jsonSchema : PlaybookSchema.jsonSchema).prettyJSONText)
        }
    }
}
