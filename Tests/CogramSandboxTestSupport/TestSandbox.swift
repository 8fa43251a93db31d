import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation

/// A sandbox server on a loopback port over its own database in a new temporary directory: what the API,
/// sandbox, planner and end-to-end tests run against.
public struct TestSandbox: Sendable {
    public let running: RunningSandbox
    /// The temporary directory that holds the database (and, for end-to-end tests, the manifests).
    public let directory: URL
    public let databasePath: String

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { running.baseURL }
    /// The key `SandboxOptions.apiKey` asked for, or the one the sandbox generated for its seed.
    public var apiKey: String? { running.apiKey }
    public var store: SandboxStore { running.store }
    /// The id of the seeded organization ("" without a seed).
    public var organizationID: String { running.organization?.id ?? "" }

    /// The example organization's seed, `examples/sandbox-seed.json`.
    public static func exampleSeed() throws -> SandboxSeed {
        try SandboxSeed.load(path: Repository.path("examples/sandbox-seed.json"))
    }

    /// Starts a sandbox over `directory/sandbox.sqlite` (a new temporary directory unless given), with
    /// `configure` applied to its options last.
    public static func start(
        seed: SandboxSeed?, apiKey: String? = nil, rateLimitPerMinute: Int = 1000, faults: FaultOptions = .init(),
        directory: URL? = nil, configure: (inout SandboxOptions) -> Void = { _ in }
    ) async throws -> TestSandbox {
        let directory = try directory ?? makeTemporaryDirectory("cogram-test-sandbox")
        let path = directory.appendingPathComponent("sandbox.sqlite").path
        var options = SandboxOptions(
            databasePath: path, rateLimitPerMinute: rateLimitPerMinute, faults: faults, seed: seed, apiKey: apiKey)
        configure(&options)
        let running = try await Sandbox.start(options)
        return TestSandbox(running: running, directory: directory, databasePath: path)
    }

    /// The same database served again (with other faults, say); this sandbox is stopped first, its files kept.
    public func restarted(
        apiKey: String?, rateLimitPerMinute: Int = 1000, faults: FaultOptions = .init()
    ) async throws -> TestSandbox {
        try await running.shutdown()
        let options = SandboxOptions(
            databasePath: databasePath, rateLimitPerMinute: rateLimitPerMinute, faults: faults, apiKey: apiKey)
        return TestSandbox(running: try await Sandbox.start(options), directory: directory, databasePath: databasePath)
    }

    /// Stops the server and removes the temporary directory.
    public func stop() async {
        try? await running.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` against a sandbox that runs in this task's tree (`Sandbox.run`); returns once the server has
    /// shut down, then removes its files.
    public static func with<T>(
        seed: SandboxSeed?, apiKey: String? = nil, rateLimitPerMinute: Int = 1000, faults: FaultOptions = .init(),
        isolation: isolated (any Actor)? = #isolation,
        configure: (inout SandboxOptions) -> Void = { _ in },
        _ body: (TestSandbox) async throws -> T
    ) async throws -> T {
        let directory = try makeTemporaryDirectory("cogram-test-sandbox")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sandbox.sqlite").path
        var options = SandboxOptions(
            databasePath: path, rateLimitPerMinute: rateLimitPerMinute, faults: faults, seed: seed, apiKey: apiKey)
        configure(&options)
        return try await Sandbox.run(options) { running in
            try await body(TestSandbox(running: running, directory: directory, databasePath: path))
        }
    }

    /// A client configuration for this sandbox with the given key (default: the sandbox's own).
    public func clientConfiguration(key: String? = nil, version: String = "test") throws -> ClientConfiguration {
        try ClientConfiguration(baseURL: baseURL, apiKey: APIKey(key ?? apiKey ?? ""), version: version)
    }
}
