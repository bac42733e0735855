import QMP

/// Reading the QAPI schema of the QEMU behind a monitor, through the
/// ``SchemaCache``: what the preflight checks steps against and what
/// `qmpbook shell` completes from.
///
/// ```swift
/// let key = await LiveSchema.key(of: monitor, version: greeting.version)
/// let (schema, fromCache) = try await LiveSchema.schema(for: key, from: monitor, cache: SchemaCache.defaultDirectory().map(SchemaCache.init))
/// ```
///
/// Only the read-only queries `query-target` (for the key) and
/// `query-qmp-schema` (not when the cache has the build's schema) are sent.
public enum LiveSchema {
    /// The cache key of the QEMU behind `monitor`: its greeting's version and
    /// package, and `query-target`'s architecture (empty when that fails).
    public static func key(of monitor: any Monitor, version: QEMUVersion) async -> SchemaCache.Key {
        // Read-only, and the greeting does not say which qemu-system-* answers.
        let architecture = (try? await monitor.execute("query-target", timeout: .seconds(10)))?["arch"]?.stringValue
        return SchemaCache.Key(
            major: version.major, minor: version.minor, micro: version.micro, package: version.package,
            architecture: architecture ?? "")
    }

    /// The schema for `key`: from `cache` when it holds a usable copy, else
    /// `query-qmp-schema` on `monitor` (then stored in `cache`).
    /// - Throws: the engine's ``QMPError`` or a ``SchemaError`` when the reply is no schema.
    public static func schema(
        for key: SchemaCache.Key, from monitor: any Monitor, cache: SchemaCache?
    ) async throws -> (schema: QMPSchema, fromCache: Bool) {
        let fetch: () async throws -> JSONValue = {
            try await monitor.execute("query-qmp-schema", timeout: .seconds(30))
        }
        if let cache { return try await cache.schema(for: key, fetch: fetch) }
        return (try QMPSchema(parsing: try await fetch()), false)
    }
}
