import Playbook
import Testing

/// `--limit`'s patterns (`NameGlob`).
@Suite struct NameGlobTests {
    @Test(arguments: [
        ("web-*", "web-01", true), ("web-*", "web-", true), ("web-*", "db-01", false), ("*", "", true),
        ("ci-?", "ci-1", true), ("ci-?", "ci-10", false), ("*-1*", "ci-12", true), ("*-1*", "ci-2", false),
        ("db-[0-9]*", "db-7x", true), ("db-[0-9]*", "db-x7", false), ("db-[!0-9]", "db-x", true),
        ("db-[!0-9]", "db-1", false), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false), ("[", "[", true),
        ("exact", "exact", true), ("exact", "exactly", false), ("**x", "abx", true),
    ])
    func matches(pattern: String, name: String, expected: Bool) {
        #expect(NameGlob(pattern).matches(name) == expected)
    }
}
