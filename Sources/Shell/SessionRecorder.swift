import FoundationEssentials
import QMP
import Synchronization

/// Turns what happens in a shell into a playbook (`qmpbook shell --record FILE.yaml`).
///
/// Every command that ran is an `execute` step with its `arguments` (a
/// failed one expects its error class, `expect: {error: {class: …}}`),
/// `hmp` lines are `hmp` steps, `:wait EVENT` is a `wait-event` step whose
/// `match` is the data of the event it took, `:mark TEXT` is a `log` step;
/// events that arrived are comments at the place they arrived. The target
/// is written as it was reached: the `connect` address, the libvirt domain,
/// or the `launch` command. The file is rewritten whole (``AtomicFile``)
/// after every step and at the end, so it is complete however the shell
/// ends (the comments since the last step may be missing after a SIGKILL).
///
/// Values are written as JSON, which YAML reads as flow collections and
/// quoted scalars; a `${` in a value is written `$${` so that it stays text.
final class SessionRecorder: Sendable {
    /// How the recorded target is reached.
    enum Target: Sendable {
        case connect(String)
        case launch([String])
        case libvirt(uri: String, domain: String)
    }

    private struct Entry {
        var lines: [String]
        var isStep: Bool
    }

    let path: String
    private let header: [String]
    private let entries = Mutex<[Entry]>([])
    /// Set by ``finish()``: nothing is added afterwards (the events of closing the target).
    private let finished = Mutex(false)

    init(path: String, target: Target, started: Date = Date()) {
        self.path = path
        let stamp = started.formatted(.iso8601)
        var header = [
            "# Recorded by `qmpbook shell` on \(stamp).",
            "# Comments are the events QEMU sent, where they arrived.",
            "name: \(Self.quoted("shell session \(stamp)"))",
            "targets:",
            "  vm:",
        ]
        switch target {
        case .connect(let address):
            header.append("    connect: \(Self.quoted(address))")
        case .launch(let command):
            header.append("    launch: [\(command.map(Self.quoted).joined(separator: ", "))]")
        case .libvirt(let uri, let domain):
            header.append("    libvirt: {uri: \(Self.quoted(uri)), domain: \(Self.quoted(domain))}")
        }
        header.append("steps:")
        self.header = header
    }

    /// Records an `execute` step; `error` is the class of the error it failed with.
    func execute(_ command: String, arguments: JSONObject?, error: String?) {
        var lines = ["  - execute: \(Self.quoted(command))"]
        if let arguments, !arguments.isEmpty { lines.append("    arguments: \(Self.json(.object(arguments)))") }
        if let error { lines.append("    expect: {error: {class: \(Self.quoted(error))}}") }
        add(Entry(lines: lines, isStep: true))
    }

    func hmp(_ commandLine: String) {
        add(Entry(lines: ["  - hmp: \(Self.quoted(commandLine))"], isStep: true))
    }

    /// Records a `wait-event` step for `event`, matching the data it had (none when empty).
    func wait(for event: String, data: JSONObject) {
        var lines = ["  - wait-event: \(Self.quoted(event))"]
        if !data.isEmpty { lines.append("    match: \(Self.json(.object(data)))") }
        add(Entry(lines: lines, isStep: true))
    }

    func mark(_ text: String) {
        add(Entry(lines: ["  - log: \(Self.quoted(text))"], isStep: true))
    }

    /// Records an event as a comment.
    func event(_ name: String, data: JSONObject) {
        let shown = data.isEmpty ? name : "\(name) \(JSONValue.object(data).jsonText)"
        add(Entry(lines: ["  # event \(shown)"], isStep: false))
    }

    /// Records a remark (a wait that timed out, an HMP line that failed) as a comment.
    func note(_ text: String) {
        add(Entry(lines: ["  # \(text.replacing("\n", with: " "))"], isStep: false))
    }

    /// The playbook text as it stands.
    var text: String {
        let entries = self.entries.withLock { $0 }
        var lines = header
        for entry in entries { lines += entry.lines }
        if !entries.contains(where: \.isStep) { lines.append("  - log: \"nothing was run\"") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the file (atomically).
    /// - Throws: ``ShellInputError`` naming the failed call.
    func write() throws(ShellInputError) {
        if case .failure(let error) = AtomicFile.write(Array(text.utf8), to: path) {
            throw ShellInputError("--record: cannot write \(path): \(error)")
        }
    }

    /// Ends the recording: what happens from now on (closing the target) is not part of it.
    func finish() {
        finished.withLock { $0 = true }
    }

    private func add(_ entry: Entry) {
        guard !finished.withLock({ $0 }) else { return }
        entries.withLock { $0.append(entry) }
        // Comments wait for the next step (or the end): a chatty QEMU costs no write per event.
        if entry.isStep { try? write() }
    }

    /// A YAML double-quoted scalar (JSON's string syntax), `${` escaped.
    static func quoted(_ text: String) -> String {
        JSONValue.string(literal(text)).jsonText
    }

    /// A value as YAML flow (JSON with a space after each `:` and `,`), every `${` in its strings escaped.
    static func json(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return quoted(text)
        case .array(let elements): return "[" + elements.map(json).joined(separator: ", ") + "]"
        case .object(let object): return "{" + object.members.map { quoted($0) + ": " + json($1) }.joined(separator: ", ") + "}"
        default: return value.jsonText
        }
    }

    /// `text` as a playbook writes it literally: `${` becomes `$${`.
    private static func literal(_ text: String) -> String {
        text.replacing("${", with: "$${")
    }
}
