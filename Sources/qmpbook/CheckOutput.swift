import ArgumentParser
import FoundationEssentials
import Playbook
import QMP

/// Where `check` says what it found: problems on stderr and a summary line
/// on stdout (`--format text`), or one JSON document on stdout (`--format json`):
///
/// ```json
/// {"format": "qmpbook-check/1", "ok": false, "playbooks": 1,
///  "problems": [{"file": "book.yaml", "line": 4, "column": 5, "message": "…", "hint": "did you mean 'arguments'?"}]}
/// ```
final class CheckOutput {
    enum Format: String, CaseIterable, Sendable {
        case text, json
    }

    let format: Format
    private var problems: [Diagnostic] = []

    init(format: Format) {
        self.format = format
    }

    /// One problem: `text` on stderr now, or `diagnostic` in the JSON document.
    func problem(_ diagnostic: Diagnostic, text: String? = nil) {
        switch format {
        case .text: StandardError.writeLine(text ?? diagnostic.description)
        case .json: problems.append(diagnostic)
        }
    }

    /// A line for people on stdout (text only; the JSON document is the whole of stdout).
    func line(_ line: String) {
        guard format == .text else { return }
        System.write(line + "\n", to: 1)
    }

    /// Writes the JSON document (json only), after every problem is in.
    func finish(playbooks: Int) {
        guard format == .json else { return }
        let document: JSONValue = [
            "format": "qmpbook-check/1",
            "ok": .bool(problems.isEmpty),
            "playbooks": .int(Int64(playbooks)),
            "problems": .array(problems.map(\.jsonValue)),
        ]
        System.write(document.prettyJSONText + "\n", to: 1)
    }
}

extension CheckOutput.Format: ExpressibleByArgument {}
