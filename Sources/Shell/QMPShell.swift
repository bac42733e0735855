import FoundationEssentials
import Playbook
import QMP
import Runner
import Synchronization

/// `qmpbook shell`: an interactive QMP shell on a terminal, or a reader of
/// commands line by line from a pipe.
///
/// ```swift
/// let shell = QMPShell(target: target, options: ShellOptions(recordPath: "session.yaml", color: true))
/// let watcher = SignalWatcher { shell.interrupt(signal: $0) }
/// let ending = await shell.run()     // the target closed, the terminal restored, the recording written
/// exit(ending.status.code)
/// ```
///
/// Input forms: a command with `key=value` arguments typed by the live
/// schema, a raw JSON command, `hmp TEXT`, `help [COMMAND]`, `:wait EVENT
/// [DURATION]`, `:mark TEXT`, `:quit` (see ``ShellInput``). Events are shown
/// as they arrive. On a terminal, Tab completes from the schema and
/// history is kept; from a pipe, each line runs in turn and replies and
/// events are printed as JSON.
public final class QMPShell: Sendable {
    /// How the shell ended.
    public struct Ending: Sendable {
        /// 0: the input ended or `:quit`; 1: a piped command failed or a line was refused;
        /// 3: the target was lost; 128 + N: signal N.
        public var status: ExitStatus
        /// Why, in one line, when it is not a plain end.
        public var message: String?
    }

    private enum Item: Sendable {
        case line(String)
        case end
        case lost
        case signal(Int32)
    }

    private let target: ShellTarget
    private let options: ShellOptions
    private let editor: LineEditor?
    private let history: ShellHistory
    private let recorder: SessionRecorder?
    private let events = TargetEvents()
    private let schema = Shared<ShellSchema?>(nil)
    private let queue = ItemQueue<Item>()
    /// The line being run, if any: its task once started, and whether a SIGINT came before that.
    private let operation = Mutex(Operation())

    private struct Operation {
        var busy = false
        var task: Task<Void, Never>?
        var cancelled = false
    }
    private let failures = Mutex(0)
    private let waits = Mutex(0)
    private let quitSent = Mutex(false)
    /// `:quit` was entered.
    private let leaving = Mutex(false)
    /// The session is over (the target is being closed).
    private let ended = Mutex(false)
    private let output = Mutex(())

    public init(target: ShellTarget, options: ShellOptions) {
        self.target = target
        self.options = options
        history = ShellHistory(path: options.historyPath)
        recorder = options.recordPath.map { path in
            let reached: SessionRecorder.Target = switch target.reached {
            case .connect(let address): .connect(address)
            case .launch(let command): .launch(command)
            case .libvirt(let uri, let domain): .libvirt(uri: uri, domain: domain)
            }
            return SessionRecorder(path: path, target: reached)
        }
        let schema = self.schema
        editor = LineEditor(history: history.load()) { line, cursor in
            ShellCompletion.complete(line, cursor: cursor, schema: schema.withLock { $0 })
        }
    }

    /// Whether the shell reads a terminal (line editing, completion, history) rather than a pipe.
    public var isInteractive: Bool { editor != nil }

    /// What a signal does: SIGINT cancels the command or wait that is running
    /// (the shell goes on); at the prompt of a terminal it does nothing (Ctrl-C
    /// there is a key, which drops the line); otherwise it ends the shell, as
    /// every other signal does, the terminal restored at once.
    public func interrupt(signal: Int32) {
        if signal == System.signalInterrupt {
            let handled = operation.withLock { operation -> Bool in
                guard operation.busy else { return false }
                operation.cancelled = true
                operation.task?.cancel()
                return true
            }
            if handled || editor != nil { return }
        }
        editor?.close()
        operation.withLock { $0.task?.cancel() }
        queue.deliver(.signal(signal))
    }

    /// Runs until the input ends, `:quit`, a signal or the target's loss;
    /// then writes the recording, restores the terminal and closes the target.
    public func run() async -> Ending {
        let pump = Task { await self.pumpEvents() }
        do throws(ShellInputError) {
            try recorder?.write()
        } catch {
            // Nothing to record into: the session does not start.
            editor?.close()
            ended.withLock { $0 = true }
            await target.close()
            _ = await pump.value
            return Ending(status: .invalidInput, message: error.message)
        }
        await loadSchema()
        if editor == nil {
            startReadingPipe()
        } else {
            let version = target.greeting.version
            say(style("QEMU \(version.major).\(version.minor).\(version.micro) \(target.description): help lists commands, Tab completes, Ctrl-D leaves", "2"))
        }
        var ending = Ending(status: .passed)
        loop: while true {
            if let editor {
                let queue = self.queue
                editor.read(prompt: "qmp> ") { outcome in
                    switch outcome {
                    case .line(let line): queue.deliver(.line(line))
                    case .end: queue.deliver(.end)
                    case .closed: break
                    }
                }
            }
            switch await queue.next() {
            case .line(let line):
                await run(line)
                if leaving.withLock({ $0 }) { break loop }
                if quitSent.withLock({ $0 }), editor == nil {
                    // Nothing after a quit can reach QEMU, but what it says
                    // as it goes (SHUTDOWN) is still shown.
                    if case .signal(let number) = await awaitLoss() {
                        ending = Ending(status: .interrupted(signal: number), message: "interrupted by \(System.signalName(number))")
                    }
                    break loop
                }
            case .end:
                break loop
            case .lost:
                if quitSent.withLock({ $0 }) {
                    say(style("QEMU quit", "2"))
                } else {
                    ending = Ending(status: .infrastructure, message: "the target was lost: \(await target.lossReason())")
                }
                break loop
            case .signal(let number):
                ending = Ending(status: .interrupted(signal: number), message: "interrupted by \(System.signalName(number))")
                break loop
            }
        }
        let failed = failures.withLock { $0 }
        if editor == nil, ending.status == .passed, failed > 0 {
            ending = Ending(status: .stepFailed, message: failed == 1 ? "a line failed" : "\(failed) lines failed")
        }
        editor?.close()
        ended.withLock { $0 = true }
        recorder?.finish()
        do throws(ShellInputError) {
            try recorder?.write()
        } catch {
            ending.message = ending.message.map { $0 + "; " + error.message } ?? error.message
        }
        if let recorder { sayError("recorded to \(recorder.path)", plain: true) }
        await target.close()
        _ = await pump.value
        return ending
    }

    // MARK: - Input

    private func startReadingPipe() {
        let queue = self.queue
        System.startThread(named: "qmpbook-shell-input") {
            while let line = Swift.readLine(strippingNewline: true) { queue.deliver(.line(line)) }
            queue.deliver(.end)
        }
    }

    private func run(_ line: String) async {
        operation.withLock { $0.busy = true }
        defer { operation.withLock { $0 = Operation() } }
        if editor != nil, !line.trimmingWhitespace().isEmpty { history.append(line) }
        let input: ShellInput
        do throws(ShellInputError) {
            input = try ShellInput.parse(line, schema: schema.withLock { $0 })
        } catch {
            fail(error.message)
            return
        }
        let task = Task { await self.perform(input) }
        operation.withLock { operation in
            operation.task = task
            if operation.cancelled { task.cancel() }
        }
        await task.value
    }

    private func perform(_ input: ShellInput) async {
        switch input {
        case .nothing:
            return
        case .quit:
            leaving.withLock { $0 = true }
        case .help(let command):
            say(help(for: command))
        case .mark(let text):
            recorder?.mark(text)
            say(style("mark: \(TerminalText.escape(text))", "2"))
        case .command(let name, let arguments):
            await execute(name, arguments: arguments)
        case .hmp(let text):
            await hmp(text)
        case .wait(let event, let timeout):
            await wait(for: event, timeout: timeout)
        }
    }

    private func execute(_ name: String, arguments: JSONObject?) async {
        let reply: Reply
        do throws(QMPError) {
            reply = try await target.monitor.request(name, arguments: arguments, passing: nil, timeout: options.commandTimeout)
        } catch {
            fail(error.code == .cancelled ? "\(name): cancelled (its reply, if any, is dropped)" : error.description)
            return
        }
        switch reply {
        case .success:
            recorder?.execute(name, arguments: arguments, error: nil)
            if name == "quit" { quitSent.withLock { $0 = true } }
            say(editor == nil ? reply.json.jsonText : JSONStyle.pretty(reply.json, color: options.color))
        case .failure(let error):
            recorder?.execute(name, arguments: arguments, error: error.errorClass)
            fail("\(error.errorClass): \(error.description)", json: reply.json)
        }
    }

    private func hmp(_ text: String) async {
        do throws(QMPError) {
            let output = try await target.monitor.execute(
                "human-monitor-command", arguments: ["command-line": .string(text)], timeout: options.commandTimeout)
            recorder?.hmp(text)
            var shown = output.stringValue ?? output.jsonText
            while shown.hasSuffix("\n") || shown.hasSuffix("\r") { shown.removeLast() }
            if editor == nil {
                say(JSONValue.object(["return": output]).jsonText)
            } else if !shown.isEmpty {
                say(TerminalText.escape(shown.replacing("\r\n", with: "\n")))
            }
        } catch {
            recorder?.note("hmp \(text) failed: \(error.message)")
            fail(error.reply.map { "\($0.errorClass): \($0.description)" } ?? error.description)
        }
    }

    private func wait(for name: String, timeout: Duration) async {
        let step = waits.withLock { count in
            count += 1
            return count
        }
        if editor != nil { say(style("waiting up to \(timeout.readableDescription) for \(name) (Ctrl-C stops)", "2")) }
        switch await events.wait(for: EventQuery(names: [name]), by: step, timeout: timeout) {
        case .taken(let event):
            recorder?.wait(for: name, data: event.data)
            say(editor == nil ? JSONValue.object(["return": event.jsonValue]).jsonText : style("took ", "2") + describe(event))
        case .timedOut:
            recorder?.note(":wait \(name) timed out after \(timeout.readableDescription)")
            fail("no \(name) within \(timeout.readableDescription)")
        case .lost(let reason, _):
            fail("no \(name): \(reason)")
        case .cancelled:
            fail(":wait \(name): cancelled")
        }
    }

    /// After a piped `quit`: drops the lines left until the connection
    /// closes (the pump has shown every event by then), a signal comes, or
    /// the command timeout passes; returns what ended the wait.
    private func awaitLoss() async -> Item {
        let queue = self.queue
        let timeout = options.commandTimeout
        let timer = Task {
            // Cancelled once the wait is over: then nothing is delivered.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            queue.deliver(.lost)
        }
        defer { timer.cancel() }
        while true {
            let item = await queue.next()
            switch item {
            case .line, .end: continue
            case .lost, .signal: return item
            }
        }
    }

    // MARK: - Events and schema

    private func pumpEvents() async {
        for await event in target.events {
            let recorded = RecordedEvent(event)
            recorder?.event(event.name, data: event.data)
            // The events of closing the target (SHUTDOWN after quit) come after the session.
            if !ended.withLock({ $0 }) { say(editor == nil ? event.json.jsonText : style("event ", "33") + describe(recorded)) }
            await events.record(recorded)
        }
        await events.close(reason: await target.lossReason())
        editor?.close()
        queue.deliver(.lost)
    }

    private func describe(_ event: RecordedEvent) -> String {
        let data = event.data.isEmpty ? "" : " " + JSONValue.object(event.data).jsonText
        return style(event.name, "1") + data
    }

    /// Reads the schema (the preflight's cache first) and the QOM types for completion;
    /// without them commands are sent unchecked.
    private func loadSchema() async {
        let monitor = target.monitor
        let cache = SchemaCache.defaultDirectory().map { SchemaCache(directory: $0) }
        do {
            let key = await LiveSchema.key(of: monitor, version: target.greeting.version)
            let found = try await LiveSchema.schema(for: key, from: monitor, cache: cache)
            let devices = await types(implementing: "device", from: monitor)
            let objects = await types(implementing: "user-creatable", from: monitor)
            schema.withLock { $0 = ShellSchema(schema: found.schema, deviceTypes: devices, objectTypes: objects) }
        } catch {
            sayError("no QMP schema (\(error)): commands are sent unchecked, Tab completes nothing", plain: true)
        }
    }

    private func types(implementing interface: String, from monitor: any Monitor) async -> [String] {
        let listed = try? await monitor.execute(
            "qom-list-types", arguments: ["implements": .string(interface), "abstract": false], timeout: .seconds(10))
        return listed?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    // MARK: - Help

    private func help(for command: String?) -> String {
        guard let command else {
            return """
            QMP:  COMMAND [ARGUMENT=VALUE…]   e.g. device_add driver=usb-tablet id=t0 bus=xhci.0
                  {"execute": COMMAND, "arguments": {…}}
                  hmp TEXT                    e.g. hmp info status
            help COMMAND      its arguments, their types, which are required
            :wait EVENT [DURATION]   wait for an event (default \(ShellInput.defaultWait.readableDescription))
            :mark TEXT        a log step in the recording
            :quit or Ctrl-D   leave; Ctrl-C drops the line or stops a command
            Values are typed by QEMU's schema: numbers, true/false, JSON for {…} and […].
            """
        }
        guard let schema = schema.withLock({ $0 }) else { return "no schema was read: no help on \(command)" }
        guard let arguments = schema.arguments(of: command) else {
            let suggestion = NameSuggestion.closest(to: command, among: schema.schema.commandNames)
            return "unknown command '\(command)'" + NameSuggestion.wording(suggestion)
        }
        var lines = [arguments.isEmpty ? "\(command) takes no arguments" : "\(command) arguments:"]
        let width = arguments.map(\.name.count).max() ?? 0
        for argument in arguments {
            let name = argument.name.padded(to: width)
            lines.append("  \(name)  \(argument.isOptional ? "optional" : "required")  \(schema.describe(type: argument.type))")
        }
        if ShellSchema.takesOpenArguments(command) {
            lines.append("  … and the properties of the device model (driver=…)")
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - Output

    private func style(_ text: String, _ code: String) -> String {
        options.color ? "\u{1b}[\(code)m\(text)\u{1b}[0m" : text
    }

    /// Prints `text` on stdout (above the line being typed, on a terminal).
    private func say(_ text: String) {
        if let editor {
            editor.printAbove(text)
        } else {
            output.withLock { _ in System.write(text + "\n", to: 1) }
        }
    }

    /// A refused line or a failed command: on the terminal in red, from a pipe on stderr (and the exit status is 1).
    private func fail(_ message: String, json: JSONValue? = nil) {
        if editor == nil {
            failures.withLock { $0 += 1 }
            if let json { say(json.jsonText) }
        }
        sayError("error: " + message, plain: false)
    }

    private func sayError(_ message: String, plain: Bool) {
        let text = TerminalText.escape(message)
        if let editor {
            editor.printAbove(plain ? style(text, "2") : style(text, "31"))
        } else {
            output.withLock { _ in System.write(text + "\n", to: 2) }
        }
    }
}

/// A value shared between threads behind a lock, by reference.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T { value.withLock { body(&$0) } }
}

/// A queue of items handed from threads and signal handlers to one async reader.
final class ItemQueue<Item: Sendable>: Sendable {
    private struct State {
        var items: [Item] = []
        var waiter: CheckedContinuation<Item, Never>?
    }

    private let state = Mutex(State())

    func deliver(_ item: Item) {
        let waiter = state.withLock { state -> CheckedContinuation<Item, Never>? in
            guard let waiter = state.waiter else {
                state.items.append(item)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: item)
    }

    /// The next item, waiting for one (one reader at a time).
    func next() async -> Item {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Item? in
                if !state.items.isEmpty { return state.items.removeFirst() }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
