import ArgumentParser
import CogramAPI
import CogramManifest
import CogramSandbox
import Foundation

/// `--sandbox[=DB]` and friends, shared by `plan`, `apply` and `import`.
struct SandboxSelection: ParsableArguments {
    @Flag(
        name: .customLong("sandbox"),
        help: ArgumentHelp(
            "Run against an embedded sandbox (a local Cogram-compatible server on a loopback port) instead of Cogram. `--sandbox=DB` names its SQLite file.",
            discussion: "Default database: .cogram/sandbox.sqlite."))
    var enabled = false

    @Option(
        name: .customLong("sandbox-db"),
        help: ArgumentHelp("The embedded sandbox's SQLite file (what `--sandbox=DB` sets).", valueName: "path"))
    var databasePath: String?

    @Option(
        name: .customLong("sandbox-seed"),
        help: ArgumentHelp(
            "Seed file for a new sandbox database. Default: sandbox-seed.json beside the manifests or in their parent directory; without one, the manifests' emails become the organization's users.",
            valueName: "file"))
    var seedPath: String?

    init() {}

    static let defaultDatabasePath = ".cogram/sandbox.sqlite"

    var isEnabled: Bool { enabled || databasePath != nil }

    /// Rewrites `--sandbox=DB` (the spelling of cli.md) into `--sandbox --sandbox-db DB`, which
    /// swift-argument-parser can parse: it has no option whose value is optional.
    static func normalize(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for argument in arguments {
            if argument == "--" {
                out.append(argument)
                continue
            }
            if argument.hasPrefix("--sandbox=") {
                out.append("--sandbox")
                out.append("--sandbox-db")
                out.append(String(argument.dropFirst("--sandbox=".count)))
            } else {
                out.append(argument)
            }
        }
        return out
    }
}

/// Where a command's requests go: Cogram's API, or an embedded sandbox started for the length of the command.
enum Backend {
    /// Runs `body` with a client; for the sandbox, starts it first and always stops it afterwards.
    /// `identity` is what a saved plan records as `api_url`: the URL for Cogram, `sandbox:<absolute db path>` for
    /// the sandbox (its port changes from run to run).
    static func withClient<T: Sendable>(
        connection: ConnectionOptions, sandbox: SandboxSelection, manifestPaths: [String],
        desired: DesiredState? = nil, requestsPerMinute: Int? = nil, parallelism: Int? = nil,
        _ body: (_ client: CogramClient, _ identity: String) async throws -> T
    ) async throws -> T {
        guard sandbox.isEnabled else {
            var configuration = try connection.clientConfiguration(version: Cogramctl.version)
            if let requestsPerMinute { configuration.requestsPerMinute = requestsPerMinute }
            if let parallelism { configuration.maxConcurrentRequests = parallelism }
            return try await CogramClient.withClient(configuration) { client in
                try await body(client, configuration.baseURL.absoluteString)
            }
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
        let key = randomKey()
        options.apiKey = key
        var seededFrom: String?
        if isNew {
            let (seed, source) = try seedForNewSandbox(sandbox: sandbox, manifestPaths: manifestPaths, desired: desired)
            options.seed = seed
            seededFrom = source
        }
        let running: RunningSandbox
        do {
            running = try await Sandbox.start(options)
        } catch {
            if isNew { try? FileManager.default.removeItem(atPath: absolute) }
            throw CLIError("cannot start the embedded sandbox with \(path): \(error)")
        }
        var banner = "Using the embedded sandbox at \(running.baseURL) (database \(path)"
        if let seededFrom { banner += ", new: seeded from \(seededFrom)" }
        banner += ", \(options.rateLimitPerMinute) requests/min"
        banner += "); nothing is sent to Cogram.\n"
        Terminal.writeError(banner)
        let result: Result<T, any Error>
        do {
            var configuration = try ClientConfiguration(
                baseURL: running.baseURL, apiKey: APIKey(key), actor: connection.resolveActor(),
                version: Cogramctl.version, logger: connection.httpLogger())
            configuration.maxRetries = connection.maxRetries
            if let requestsPerMinute { configuration.requestsPerMinute = requestsPerMinute }
            if let parallelism { configuration.maxConcurrentRequests = parallelism }
            result = .success(try await CogramClient.withClient(configuration) { client in
                try await body(client, "sandbox:" + absolute)
            })
        } catch {
            result = .failure(error)
        }
        try? await running.shutdown()
        return try result.get()
    }

    /// The seed of a new sandbox database: `--sandbox-seed`, else a `sandbox-seed.json` beside the manifests or
    /// in their parent, else one user per email that the manifests name.
    static func seedForNewSandbox(
        sandbox: SandboxSelection, manifestPaths: [String], desired: DesiredState?
    ) throws -> (SandboxSeed, String) {
        if let path = sandbox.seedPath {
            do {
                return (try SandboxSeed.load(path: path), path)
            } catch {
                throw CLIError("cannot read the sandbox seed \(path): \(error)")
            }
        }
        for manifest in manifestPaths {
            var directory = URL(fileURLWithPath: manifest)
            var isDirectory: ObjCBool = false
            if !(FileManager.default.fileExists(atPath: manifest, isDirectory: &isDirectory) && isDirectory.boolValue) {
                directory.deleteLastPathComponent()
            }
            for candidate in [directory, directory.deletingLastPathComponent()] {
                let file = candidate.appendingPathComponent("sandbox-seed.json").path
                if FileManager.default.fileExists(atPath: file) {
                    do {
                        return (try SandboxSeed.load(path: file), relativePath(file))
                    } catch {
                        throw CLIError("cannot read the sandbox seed \(relativePath(file)): \(error)")
                    }
                }
            }
        }
        var emails: [String: String] = [:]
        for user in desired?.users ?? [] { emails[user.normalizedEmail] = user.email }
        for project in desired?.projects ?? [] {
            for member in project.members ?? [] where emails[member.normalizedEmail] == nil {
                emails[member.normalizedEmail] = member.email
            }
        }
        let users = emails.keys.sorted().map { email in
            SandboxSeed.User(email: email, name: String(email.prefix { $0 != "@" }), role: .member)
        }
        return (SandboxSeed(organization: "Sandbox", users: users), "the manifests' \(plural(users.count, "email"))")
    }

    static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return "sbx_" + String((0..<40).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    static func relativePath(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
        return standardized.hasPrefix(cwd) ? String(standardized.dropFirst(cwd.count)) : standardized
    }
}
