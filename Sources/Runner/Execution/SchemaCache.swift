import FoundationEssentials
import QMP

/// A folder of QAPI schemas fetched earlier, one file per QEMU version and package.
///
/// ```swift
/// let cache = SchemaCache(directory: SchemaCache.defaultDirectory() ?? "/tmp/qmpbook-cache")
/// let key = SchemaCache.Key(major: 7, minor: 2, micro: 22, package: "Debian 1:7.2+dfsg-7+deb12u18+b3")
/// let (schema, fromCache) = try await cache.schema(for: key) {
///     try await monitor.execute("query-qmp-schema")
/// }
/// ```
///
/// A QEMU's schema is fixed by its build, so the version and the package
/// string of the QMP greeting identify it. Each file is
/// `qmp-schema-VERSION[-PACKAGE-HASH].json`: the package reduced to
/// `[A-Za-z0-9._-]` and shortened, then 8 hex digits of its FNV-1a hash so
/// that packages reducing to the same text keep separate files. Files are
/// written whole by ``AtomicFile`` (a temporary file in the same folder,
/// flushed, then renamed over the old one), so readers never see half a file. A file that cannot be
/// read, is not a schema, or belongs to another key is ignored and removed;
/// the next ``store(_:for:)`` replaces it. Nothing is ever evicted.
public struct SchemaCache: Sendable {
    /// What identifies one QEMU build's schema.
    public struct Key: Sendable, Hashable, CustomStringConvertible {
        /// `MAJOR.MINOR.MICRO`.
        public var version: String
        /// The greeting's `package` (a distribution's build string, often empty).
        public var package: String
        /// The emulated architecture (`query-target`'s `arch`, e.g. `x86_64`):
        /// one package's `qemu-system-*` binaries greet alike but differ in a
        /// few target-specific commands. Empty when unknown.
        public var architecture: String

        public init(major: Int, minor: Int, micro: Int, package: String, architecture: String = "") {
            self.version = "\(major).\(minor).\(micro)"
            self.package = package
            self.architecture = architecture
        }

        public var description: String {
            let build = package.isEmpty ? version : "\(version) (\(package))"
            return architecture.isEmpty ? build : "\(build) \(architecture)"
        }
    }

    /// The folder holding the cache files; created on the first store.
    public let directory: String

    /// The format written into each file; a file in another format is ignored.
    static let format = "qmpbook-schema-cache/1"

    public init(directory: String) {
        self.directory = directory
    }

    /// `$XDG_CACHE_HOME/qmpbook` when that variable holds an absolute path,
    /// else `$HOME/.cache/qmpbook`, else nil.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let base = environment["XDG_CACHE_HOME"], base.hasPrefix("/") {
            return base + "/qmpbook"
        }
        if let home = environment["HOME"], home.hasPrefix("/") {
            return home + "/.cache/qmpbook"
        }
        return nil
    }

    /// The file holding the schema for `key`.
    public func path(for key: Key) -> String {
        directory + "/" + Self.fileName(for: key)
    }

    static func fileName(for key: Key) -> String {
        var name = "qmp-schema-" + sanitized(key.version, limit: 32)
        if !key.architecture.isEmpty {
            name += "-" + sanitized(key.architecture, limit: 32)
        }
        if !key.package.isEmpty {
            name += "-" + sanitized(key.package, limit: 64) + "-" + fnv1a(key.package)
        }
        return name + ".json"
    }

    private static func sanitized(_ text: String, limit: Int) -> String {
        let kept = text.unicodeScalars.prefix(limit).map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "-", "_": return Character(scalar)
            default: return "_"
            }
        }
        return String(kept)
    }

    /// 32-bit FNV-1a of the UTF-8 bytes, as 8 hex digits: stable across runs, unlike `Hasher`.
    private static func fnv1a(_ text: String) -> String {
        var hash: UInt32 = 0x811C_9DC5
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The cached schema for `key`, or nil when there is none or it is unusable.
    ///
    /// An unusable file (unreadable, not JSON, another format or key, a
    /// malformed schema) is removed, so it is fetched and stored again.
    public func load(_ key: Key) -> QMPSchema? {
        let path = path(for: key)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let schema = Self.decode(Array(data), key: key) else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        return schema
    }

    private static func decode(_ bytes: [UInt8], key: Key) -> QMPSchema? {
        guard let file = try? JSONValue(parsing: bytes),
              file["format"]?.stringValue == format,
              file["qemu"]?.stringValue == key.version,
              file["package"]?.stringValue == key.package,
              (file["architecture"]?.stringValue ?? "") == key.architecture,
              let schema = file["schema"]
        else { return nil }
        return try? QMPSchema(parsing: schema)
    }

    /// Writes `schema` (the `return` of `query-qmp-schema`) as the cached schema for `key`.
    ///
    /// Throws ``RunnerError`` (infrastructure) when the folder cannot be
    /// created or the file not written; a failed store leaves any earlier
    /// file as it was and no temporary file behind (see ``AtomicFile``).
    /// Callers may treat the cache as best effort.
    public func store(_ schema: JSONValue, for key: Key) throws(RunnerError) {
        let file: JSONValue = .object([
            "format": .string(Self.format),
            "qemu": .string(key.version),
            "package": .string(key.package),
            "architecture": .string(key.architecture),
            "schema": schema,
        ])
        if case .failure(let error) = System.makeDirectories(directory) {
            throw RunnerError(.infrastructure, "cannot create the schema cache folder \(directory): \(error)")
        }
        if case .failure(let error) = AtomicFile.write(file.jsonBytes, to: path(for: key)) {
            throw RunnerError(.infrastructure, "cannot write the schema cache file \(path(for: key)): \(error)")
        }
    }

    /// The schema for `key`: from the cache when it holds a usable copy, else from `fetch`, then stored.
    ///
    /// `fromCache` tells which. Errors thrown by `fetch` pass through; a
    /// fetched value that is not a schema throws ``SchemaError`` and is not
    /// stored. A failed store is ignored: the fetched schema is still returned.
    /// `fetch` runs in the caller's isolation.
    nonisolated(nonsending) public func schema(
        for key: Key,
        fetch: () async throws -> JSONValue
    ) async throws -> (schema: QMPSchema, fromCache: Bool) {
        if let cached = load(key) { return (cached, true) }
        let value = try await fetch()
        let schema = try QMPSchema(parsing: value)
        try? store(value, for: key)
        return (schema, false)
    }
}
