import ArgumentParser

@main
struct Qmpbook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qmpbook",
        abstract: "Run declarative QMP playbooks against QEMU.",
        version: "0.1.0",
        subcommands: [Run.self, Check.self, Exec.self, Events.self, Schema.self]
    )
}
