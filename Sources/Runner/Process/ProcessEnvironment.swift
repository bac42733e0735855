import FoundationEssentials

/// The environment a child process gets.
enum ProcessEnvironment {
    /// qmpbook's environment as `NAME=VALUE` lines, with `additions` added or replaced.
    static func lines(adding additions: [String: String]) -> [String] {
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in additions { merged[key] = value }
        return merged.map { "\($0.key)=\($0.value)" }
    }
}
