import Foundation
import Testing
import QMP
import Runner

@Suite struct SchemaCacheTests {
    static let key = SchemaCache.Key(major: 7, minor: 2, micro: 22, package: "Debian 1:7.2+dfsg-7+deb12u18+b3")

    /// A fresh folder for one test, removed afterwards.
    func withTemporaryFolder(_ body: (String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qmpbook-schema-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await body(folder)
    }

    /// A small schema: one command and its argument and return types.
    func fixtureValue() throws -> JSONValue {
        try JSONValue(parsing: Array(#"""
        [{"name": "query-status", "meta-type": "command", "arg-type": "0", "ret-type": "1", "allow-oob": false},
         {"name": "0", "meta-type": "object", "members": []},
         {"name": "1", "meta-type": "object", "members": [{"name": "running", "type": "bool"}]},
         {"name": "bool", "meta-type": "builtin", "json-type": "boolean"}]
        """#.utf8))
    }

    @Test func storesAndLoadsTheSchemaUnderASanitisedName() async throws {
        try await withTemporaryFolder { folder in
            let cache = SchemaCache(directory: folder + "/nested/qmpbook")
            #expect(cache.load(Self.key) == nil)
            try cache.store(try fixtureValue(), for: Self.key)
            let loaded = try #require(cache.load(Self.key))
            #expect(loaded.entries == (try QMPSchema(parsing: try fixtureValue())).entries)
            let path = cache.path(for: Self.key)
            let name = (path as NSString).lastPathComponent
            #expect(name.hasPrefix("qmp-schema-7.2.22-Debian_1_7.2_dfsg-7_deb12u18_b3-"))
            #expect(name.hasSuffix(".json"))
            #expect(name.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: " ") })
            // The rename left no temporary file behind.
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/nested/qmpbook") == [name])
        }
    }

    @Test func packagesThatSanitiseAlikeKeepSeparateFiles() {
        let cache = SchemaCache(directory: "/cache")
        let colon = SchemaCache.Key(major: 7, minor: 2, micro: 22, package: "pkg 1:2")
        let underscore = SchemaCache.Key(major: 7, minor: 2, micro: 22, package: "pkg_1_2")
        #expect(cache.path(for: colon) != cache.path(for: underscore))
        #expect(cache.path(for: SchemaCache.Key(major: 8, minor: 0, micro: 0, package: "")) == "/cache/qmp-schema-8.0.0.json")
        let long = SchemaCache.Key(major: 7, minor: 2, micro: 22, package: String(repeating: "x/", count: 500))
        #expect((cache.path(for: long) as NSString).lastPathComponent.count < 120)
    }

    @Test func corruptFileIsIgnoredRemovedAndReplaced() async throws {
        try await withTemporaryFolder { folder in
            let cache = SchemaCache(directory: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = cache.path(for: Self.key)
            for garbage in ["{\"format\": \"qmpbook-schema-cache/1\", \"schema\": [", "[]", "not json at all", ""] {
                try Data(garbage.utf8).write(to: URL(fileURLWithPath: path))
                #expect(cache.load(Self.key) == nil)
                #expect(!FileManager.default.fileExists(atPath: path))
            }
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
            var fetches = 0
            let first = try await cache.schema(for: Self.key) {
                fetches += 1
                return try fixtureValue()
            }
            #expect(!first.fromCache)
            let second = try await cache.schema(for: Self.key) {
                fetches += 1
                return try fixtureValue()
            }
            #expect(second.fromCache)
            #expect(fetches == 1)
            #expect(second.schema.entries.count == first.schema.entries.count)
        }
    }

    @Test func fileOfAnotherKeyIsNotUsed() async throws {
        try await withTemporaryFolder { folder in
            let cache = SchemaCache(directory: folder)
            try cache.store(try fixtureValue(), for: Self.key)
            let other = SchemaCache.Key(major: 7, minor: 2, micro: 23, package: Self.key.package)
            try FileManager.default.copyItem(atPath: cache.path(for: Self.key), toPath: cache.path(for: other))
            #expect(cache.load(other) == nil)
            #expect(cache.load(Self.key) != nil)
        }
    }

    @Test func architecturesOfOnePackageKeepSeparateSchemas() async throws {
        try await withTemporaryFolder { folder in
            let cache = SchemaCache(directory: folder)
            let x86 = SchemaCache.Key(major: 7, minor: 2, micro: 22, package: Self.key.package, architecture: "x86_64")
            let arm = SchemaCache.Key(major: 7, minor: 2, micro: 22, package: Self.key.package, architecture: "aarch64")
            #expect(cache.path(for: x86) != cache.path(for: arm))
            try cache.store(try fixtureValue(), for: x86)
            #expect(cache.load(x86) != nil)
            #expect(cache.load(arm) == nil)
            // A file of one architecture under the other's name is not used either.
            try FileManager.default.copyItem(atPath: cache.path(for: x86), toPath: cache.path(for: arm))
            #expect(cache.load(arm) == nil)
        }
    }

    @Test func fetchedValueThatIsNoSchemaThrowsAndIsNotStored() async throws {
        try await withTemporaryFolder { folder in
            let cache = SchemaCache(directory: folder)
            await #expect(throws: SchemaError.self) {
                _ = try await cache.schema(for: Self.key) { ["not": "a schema"] }
            }
            #expect(!FileManager.default.fileExists(atPath: cache.path(for: Self.key)))
        }
    }

    @Test func storeIntoAnUnusableFolderThrows() throws {
        let cache = SchemaCache(directory: "/dev/null/qmpbook")
        let error = #expect(throws: RunnerError.self) { try cache.store(.array([]), for: Self.key) }
        #expect(error?.message.contains("cannot create the schema cache folder /dev/null/qmpbook") == true)
    }

    @Test func defaultFolderFollowsXDGThenHome() {
        #expect(SchemaCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"]) == "/xdg/qmpbook")
        #expect(SchemaCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]) == "/home/u/.cache/qmpbook")
        #expect(SchemaCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "", "HOME": "/home/u"]) == "/home/u/.cache/qmpbook")
        #expect(SchemaCache.defaultDirectory(environment: [:]) == nil)
    }
}
