import Playbook
import QMP

/// One step that disagrees with its target's QMP schema, found by the
/// preflight: where it is written, which target, where in the step, and why.
///
/// ```swift
/// let problem = result.problems[0]
/// problem.location.description   // "book.yaml:9:13"
/// problem.target                 // "vm"
/// problem.path.description       // "arguments.fdnam"
/// problem.message                // "unknown argument 'fdnam'; did you mean 'fdname'?"
/// problem.hint                   // "did you mean 'fdname'?"
/// ```
///
/// A value, not text: the command line prints it as
/// `FILE:LINE:COLUMN: target NAME: PATH: MESSAGE` (``diagnostic``), the
/// report writes ``jsonValue`` in `preflight_problems`.
public struct PreflightProblem: Sendable, Hashable {
    /// Where in the playbook: the deepest part of ``path`` the step has.
    public var location: SourceLocation
    /// The target whose schema the step disagrees with.
    public var target: String
    /// Where in the step (`execute`, `arguments.capabilities[0].capability`, `wait-event`).
    public var path: SchemaPath
    /// One sentence for people, as the schema check wrote it (a suggestion included).
    public var message: String
    /// `did you mean 'NAME'?` when a valid name is near enough to be a likely typo.
    public var hint: String?

    /// The problem as a playbook diagnostic: `target NAME: PATH: MESSAGE` at ``location``.
    public var diagnostic: Diagnostic {
        Diagnostic("target \(target): \(path): \(message)", at: location)
    }

    /// `{"file", "line", "column", "message", "hint"}`, as `check --format json` writes a diagnostic.
    public var jsonValue: JSONValue { diagnostic.jsonValue }
}
