import QMP

/// A `start: TARGET` step (SPEC.md §7.2): opens a target now (launch,
/// connect or listen), the first time for an `autostart: false` target or
/// again after a `stop` or an `execute: quit`.
///
/// ```yaml
/// - start: dst
/// - start: bad                         # a QEMU that must fail to start
///   expect: {exit: 1, stderr: {$regex: "cpu option cannot be empty"}}
/// ```
public struct StartStep: Sendable {
    /// The target to open.
    public var target: String
    /// When set, QEMU must exit before its handshake with a matching status; nil: it must come up.
    public var expect: ProcessExpectation?

    public init(target: String, expect: ProcessExpectation? = nil) {
        self.target = target
        self.expect = expect
    }
}

/// A `stop: TARGET` step (SPEC.md §7.2): ends the target's current instance.
///
/// ```yaml
/// - stop: dst                          # quit, grace, SIGTERM, SIGKILL
/// - stop: dst
///   how: wait                          # let it exit by itself (after execute: quit)
///   expect: {exit: 0}
/// ```
public struct StopStep: Sendable {
    /// How the target is stopped.
    public enum Method: String, Sendable, CaseIterable {
        /// `quit`, a grace period, SIGTERM, a grace period, SIGKILL: the end-of-run sequence.
        case quit
        /// SIGKILL at once.
        case kill
        /// Nothing is sent: wait up to the step's timeout for QEMU to exit on its own.
        case wait
    }

    public var target: String
    public var how: Method
    /// What the ended process must show; nil: anything.
    public var expect: ProcessExpectation?

    public init(target: String, how: Method = .quit, expect: ProcessExpectation? = nil) {
        self.target = target
        self.how = how
        self.expect = expect
    }
}

/// `expect:` of a `start` or `stop` step: patterns on how QEMU ended (any subset).
public struct ProcessExpectation: Sendable {
    public var exit: JSONValue?
    public var signal: JSONValue?
    public var stderr: JSONValue?

    public init(exit: JSONValue? = nil, signal: JSONValue? = nil, stderr: JSONValue? = nil) {
        self.exit = exit
        self.signal = signal
        self.stderr = stderr
    }

    /// The pattern as one map over `{exit, signal, stderr}`.
    public var pattern: JSONValue {
        var object = JSONObject()
        if let exit { object["exit"] = exit }
        if let signal { object["signal"] = signal }
        if let stderr { object["stderr"] = stderr }
        return .object(object)
    }
}
