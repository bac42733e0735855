import QMP

/// How `qmpbook run` runs a playbook: the flags of SPEC.md §4, and the
/// timing defaults a playbook does not set. What is shown while it runs
/// (progress, `--jsonl`) is not an option but an observer (``RunObserver``).
public struct RunOptions: Sendable {
    /// Where the report goes; `-` is stdout. Nil: `PLAYBOOK-STEM.report.json` in the current folder.
    public var reportPath: String?
    public var junitPath: String?
    /// Where the HTML page of the run goes (`--html`).
    public var htmlPath: String?
    /// `--var` values (already parsed as YAML scalars).
    public var variables: [String: JSONValue] = [:]
    /// `--target NAME=ADDR`: the named targets become `connect: ADDR`.
    public var targetOverrides: [String: String] = [:]
    /// `--tag`: when not empty, only main steps with one of these tags run.
    public var tags: [String] = []
    /// `--skip-tag`: main steps with one of these tags do not run.
    public var skipTags: [String] = []
    /// `--start-at`: main steps before the step with this id do not run.
    public var startAt: String?
    /// `--timeout`: replaces the playbook's `timeout`.
    public var timeout: Duration?
    public var keepRunDirectory = false
    /// The most events the report lists (`--report-events`, default 10,000): past it the
    /// oldest events no step took are left out, never one a step took. Nil: every event.
    public var reportEventLimit: Int? = 10_000
    /// Check every step against each target's QMP schema before the first step (off: `--no-preflight`).
    public var preflight = true
    /// The engine's options for every target's monitor: its logger (`--log-level`), its limits.
    public var monitorOptions = MonitorOptions()

    /// A step's timeout when neither the step nor `defaults` sets one.
    public var defaultStepTimeout: Duration = .seconds(30)
    /// A target's timeout (connect or accept, greeting, handshake) when it sets none.
    public var defaultTargetTimeout: Duration = .seconds(10)
    /// How long QEMU gets to exit after `quit` before SIGTERM (and again before SIGKILL).
    public var shutdownGrace: Duration = .seconds(5)
    /// The most all `always` steps together may take, when the playbook sets no `always-timeout`.
    public var alwaysBudget: Duration = .seconds(60)
    /// How long a lost target's QEMU gets to be reaped before the step reports without its exit status.
    public var exitNoticeWait: Duration = .milliseconds(1500)

    public init() {}
}
