import QMP

/// A `command` step: a program run on the host, without a shell (SPEC §7.1).
///
/// ```yaml
/// - command: [qemu-img, create, -f, qcow2, "${run.dir}/disk.qcow2", 64M]
/// - command: {argv: [qemu-img, info, --output=json, disk.qcow2], cwd: "${run.dir}"}
///   expect: {exit: 0, json: {format: qcow2}}
/// ```
///
/// Strings stay as written (they may hold `${…}`); the runner resolves them
/// just before the program starts.
public struct CommandStep: Sendable {
    /// The program and its arguments (strings as written).
    public var argv: [JSONValue]
    /// Added to the inherited environment (values as written).
    public var environment: [String: JSONValue]
    /// The working folder as written; nil: the playbook's folder.
    public var directory: JSONValue?
    /// Text fed to stdin; nil: stdin is /dev/null.
    public var input: JSONValue?
    /// What the result must match; nil: exit status 0.
    public var expect: CommandExpectation?
    /// Re-run until the result matches this pattern (as written).
    public var until: JSONValue?
    /// Time between runs for `until`; the default is 1s.
    public var interval: Duration?
    public var register: String?
}

/// `expect:` of a `command` step: patterns on the parts of its result (any subset).
public struct CommandExpectation: Sendable {
    public var exit: JSONValue?
    public var signal: JSONValue?
    public var stdout: JSONValue?
    public var stderr: JSONValue?
    public var json: JSONValue?

    /// The pattern as one map over the result `{exit, signal, stdout, stderr, json}`.
    public var pattern: JSONValue {
        var object = JSONObject()
        if let exit { object["exit"] = exit }
        if let signal { object["signal"] = signal }
        if let stdout { object["stdout"] = stdout }
        if let stderr { object["stderr"] = stderr }
        if let json { object["json"] = json }
        return .object(object)
    }
}
