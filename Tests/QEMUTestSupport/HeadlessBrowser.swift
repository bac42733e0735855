import Foundation

/// Debian's `chromium`, headless, for tests of the HTML report: the DOM after
/// the page's scripts ran (`--dump-dom`), and screenshots. Each call has a
/// profile folder of its own, so tests running at once do not share one.
public enum HeadlessBrowser {
    /// Where screenshots are kept after the tests: `.build/test-artifacts/html/` in the repository.
    public static let artifacts = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/test-artifacts/html")

    /// The serialized DOM of the page at `path` once it has loaded and its scripts have run.
    public static func dom(ofFile path: String) async throws -> String {
        let output = try await chromium(["--dump-dom", URL(fileURLWithPath: path).absoluteString])
        guard output.status == 0, output.standardOutput.contains("<html") else {
            throw BrowserFailure(message: "chromium --dump-dom exited \(output.status): \(output.standardError.suffix(2000))")
        }
        return output.standardOutput
    }

    /// Takes a screenshot of the page at `path` into `artifacts/NAME.png`; returns the PNG's path.
    @discardableResult
    public static func screenshot(ofFile path: String, named name: String, width: Int = 1400, height: Int = 1000) async throws -> String {
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let png = artifacts.appendingPathComponent("\(name).png").path
        try? FileManager.default.removeItem(atPath: png)
        let output = try await chromium(
            ["--screenshot=\(png)", "--window-size=\(width),\(height)", "--hide-scrollbars", URL(fileURLWithPath: path).absoluteString])
        guard output.status == 0, FileManager.default.fileExists(atPath: png) else {
            throw BrowserFailure(message: "chromium --screenshot exited \(output.status): \(output.standardError.suffix(2000))")
        }
        return png
    }

    /// What the page's error recorder noted (script errors, `console.error`), or nil when nothing.
    public static func scriptErrors(in dom: String) -> String? {
        guard let match = dom.firstMatch(of: #/data-errors="([^"]*)"/#) else { return nil }
        return String(match.1)
    }

    private static func chromium(_ arguments: [String]) async throws -> ProgramOutput {
        let profile = try TemporaryDirectory(prefix: "chromium")
        // No sandbox: the tests run as root in CI; no network is needed or wanted.
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                      "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000"]
        return try await runProgram(try Executables.find("chromium"), common + arguments, timeout: .seconds(90))
    }
}

public struct BrowserFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
