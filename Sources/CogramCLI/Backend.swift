import ArgumentParser
import CogramAPI
import CogramManifest
import CogramPlan
import CogramSandbox
import Foundation

/// `--sandbox[=DB]` and friends, shared by `plan`, `apply` and `import`.
struct SandboxSelection: ParsableArguments {
    @Flag(name: .customLong("sandbox"), help: ArgumentHelp("Run against an embedded sandbox (a local Cogram-compatible server on a loopback port) instead of Cogram. `--sandbox=DB` names its SQLite file.", discussion: "Default database: .cogram/sandbox.sqlite."))
    var enabled = false

    @Option(name: .customLong("sandbox-db"), help: ArgumentHelp("The embedded sandbox's SQLite file (what `--sandbox=DB` sets).", valueName: "path"))
    var databasePath: String?

    @Option(name: .customLong("sandbox-seed"), help: ArgumentHelp("Seed file for a new sandbox database. Default: sandbox-seed.json beside the manifests or in their parent directory; without one, the manifests' emails become the organization's users.", valueName: "file"))
    var seedPath: String?

    init() {}

    static let defaultDatabasePath = SandboxOptions.defaultDatabasePath

    var isEnabled: Bool { enabled || databasePath != nil }

    /// The selection for applying a saved plan: a plan made against a sandbox names its database in `api_url`,
    /// and is applied against that database unless `--sandbox=DB` names one (which must then be the same, as
    /// `validateForApply` checks).
    func forSavedPlan(apiURL: String) throws -> SandboxSelection {
        guard databasePath == nil, case .sandbox(let path)? = BackendIdentity(apiURL: apiURL) else { return self }
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("the plan was made against the sandbox database \(path), which does not exist any more; run `cogramctl plan --sandbox=DB` again")
        }
        var selection = self
        selection.enabled = true
        selection.databasePath = path
        return selection
    }

}

/// Where a command's requests go: Cogram's API, or an embedded sandbox started for the length of the command.
enum Backend {
    /// A planner message as it should read against the backend a plan was made with (its `api_url`). In a
    /// sandbox, users come from the seed made with the database, so "invite them in the Cogram app" becomes how
    /// to re-seed it.
    static func adapted(_ message: String, apiURL: String) -> String {
        guard case .sandbox(let path)? = BackendIdentity(apiURL: apiURL) else { return message }
        let cogramAdvice = "invite them in the Cogram app first, or fix the email"
        guard message.contains(cogramAdvice) else { return message }
        return message.replacingOccurrences(
            of: cogramAdvice,
            with: "the sandbox's users come from the seed it was made with: re-seed it (delete \(relativePath(path)), or pass --sandbox-seed FILE with a new database) or fix the email")
    }

    /// Runs `body` with a client and the backend's identity; for the sandbox, starts it first and always stops
    /// it afterwards.
    static func withClient<T: Sendable>(
        connection: ConnectionOptions, sandbox: SandboxSelection, manifestPaths: [String],
        desired: DesiredState? = nil, keyVariable: String? = nil, requestsPerMinute: Int? = nil, parallelism: Int? = nil,
        _ body: (_ client: CogramClient, _ identity: BackendIdentity) async throws -> T
    ) async throws -> T {
        /// The one place a client configuration is made, for either backend.
        func run(_ settings: ClientSettings, sandboxDatabase: String?) async throws -> T {
            var configuration = try connection.clientConfiguration(
                settings: settings, version: Cogramctl.version, embeddedSandbox: sandboxDatabase != nil)
            if let requestsPerMinute { configuration.requestsPerMinute = requestsPerMinute }
            if let parallelism { configuration.maxConcurrentRequests = parallelism }
            let identity = sandboxDatabase.map { BackendIdentity.sandbox(databasePath: $0) } ?? .cogram(configuration.baseURL)
            return try await CogramClient.withClient(configuration) { client in try await body(client, identity) }
        }
        guard sandbox.isEnabled else {
            // The key of the manifests' organization (`api_key_env`), or of the saved plan's; the embedded
            // sandbox below makes its own and ignores it.
            let variable = keyVariable ?? desired?.organization?.apiKeyEnv
            return try await run(try connection.resolveSettings(keyVariable: variable), sandboxDatabase: nil)
        }
        let path = sandbox.databasePath ?? SandboxSelection.defaultDatabasePath
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let isNew = !FileManager.default.fileExists(atPath: absolute)
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: absolute).deletingLastPathComponent(), withIntermediateDirectories: true)
        var options = SandboxOptions(databasePath: absolute)
        // Like Cogram, the embedded sandbox allows 1000 requests a minute; a client asking for more with
        // `--rate-limit N` gets N from it too, so that large synthetic organizations can be tried in seconds.
        if let requestsPerMinute { options.rateLimitPerMinute = max(options.rateLimitPerMinute, requestsPerMinute) }
        var seededFrom: String?
        if isNew {
            let (seed, source) = try seedForNewSandbox(sandbox: sandbox, manifestPaths: manifestPaths, desired: desired)
            options.seed = seed
            seededFrom = source
        }
        do {
            return try await Sandbox.withSandbox(options) { baseURL, key in
                var banner: TerminalMessage = "Using the embedded sandbox at \(baseURL.absoluteString) (database \(path)"
                if let seededFrom { banner += ", new: seeded from \(seededFrom)" }
                banner += ", \(options.rateLimitPerMinute) requests/min"
                banner += "); nothing is sent to Cogram.\n"
                Terminal.writeError(banner)
                let settings = ClientSettings(apiURL: baseURL, apiKey: APIKey(key), actor: connection.resolveActor())
                return try await run(settings, sandboxDatabase: absolute)
            }
        } catch SandboxError.embeddedStartFailed(_, let reason) {
            throw CLIError("cannot start the embedded sandbox with \(path): \(reason)")
        }
    }

    /// The seed of a new sandbox database (see `SandboxSeed.forNewDatabase`).
    static func seedForNewSandbox(
        sandbox: SandboxSelection, manifestPaths: [String], desired: DesiredState?
    ) throws -> (SandboxSeed, String) {
        do {
            return try SandboxSeed.forNewDatabase(explicit: sandbox.seedPath, manifestPaths: manifestPaths, emails: Set(
                (desired?.users ?? []).map(\.normalizedEmail)
                    + (desired?.projects ?? []).flatMap { $0.members ?? [] }.map(\.normalizedEmail)))
        } catch {
            throw CLIError(wrapping: error)
        }
    }

    static func relativePath(_ path: String) -> String { SandboxSeed.relativePath(path) }
}
