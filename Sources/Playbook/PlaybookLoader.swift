public import QMP
import FoundationEssentials

/// Reads a playbook file into a validated ``Playbook``, or into every problem found.
///
/// ```swift
/// switch PlaybookLoader.load(path: "Playbooks/usb-hotplug.yaml") {
/// case .success(let playbook): print(playbook.steps.count)
/// case .failure(let problems): print(problems)  // file:line:column: message, one a line
/// }
/// ```
///
/// Never throws and never traps on bad input: an unreadable or oversized
/// file, a YAML syntax error (YAML cannot be read past the first one), or
/// the list of every schema problem all come back as diagnostics, sorted by
/// position. `overrides` are the `--var` values: they replace `vars` and
/// count as defined when variables are checked.
public enum PlaybookLoader {
    public static func load(path: String, variables overrides: [String: JSONValue] = [:]) -> Result<Playbook, Diagnostics> {
        switch read(path: path) {
        case .success(let bytes):
            return load(bytes: bytes, path: path, variables: overrides)
        case .failure(let diagnostic):
            return .failure(Diagnostics([diagnostic]))
        }
    }

    /// Loads a playbook from `bytes`, as if read from `path` (used for
    /// messages, `${playbook.dir}` and relative `fd.path`).
    ///
    /// `${env.NAME}` must name a variable set in `environment` (this
    /// process's, unless given): the run would fail on it otherwise.
    public static func load(
        bytes: [UInt8], path: String, variables overrides: [String: JSONValue] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Result<Playbook, Diagnostics> {
        guard bytes.count <= YAMLLimits.maximumFileSize else {
            return .failure(Diagnostics([Diagnostic("\(path): the file is larger than \(YAMLLimits.maximumFileSize >> 20) MiB, the most a playbook may be", at: nil)]))
        }
        let root: YAMLNode?
        var readingProblems: [Diagnostic] = []
        do {
            let parser = YAMLParser(bytes: bytes, file: path)
            root = try parser.parseDocument()
            readingProblems = parser.problems
        } catch {
            return .failure(Diagnostics([error]))
        }
        guard let root else {
            return .failure(Diagnostics([Diagnostic("the file holds no YAML document; a playbook needs at least name, targets and steps", at: SourceLocation(file: path, line: 1, column: 1))]))
        }
        let decoder = PlaybookDecoder(file: path, overrides: overrides, environment: environment, source: bytes)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
        let decoded = decoder.decode(root, directory: directory, sha256: SHA256.hexDigest(bytes))
        let placed = Set(decoder.diagnostics.compactMap(\.location))
        let problems = readingProblems + decoder.diagnostics + NonFiniteNumbers.diagnostics(in: root, file: path).filter { $0.location.map { !placed.contains($0) } ?? true }
        guard let playbook = decoded, problems.isEmpty else {
            // The playbook's own problems first, then each included file's, each by position.
            func key(_ problem: Diagnostic) -> (Int, String, Int, Int) {
                let file = problem.location?.file ?? path
                return (file == path ? 0 : 1, file, problem.location?.line ?? 0, problem.location?.column ?? 0)
            }
            return .failure(Diagnostics(problems.sorted { key($0) < key($1) }))
        }
        return .success(playbook)
    }

    /// The file's bytes, at most ``YAMLLimits/maximumFileSize`` + 1 of them.
    static func read(path: String) -> Result<[UInt8], Diagnostic> {
        PlaybookFile.read(path: path, limit: YAMLLimits.maximumFileSize)
    }
}
