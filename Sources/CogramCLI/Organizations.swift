import ArgumentParser
import CogramAPI
import CogramManifest
import CogramPlan
import CogramSandbox
import Foundation

/// `--org NAME` (repeatable), shared by `plan`, `apply`, `drift`, `access` and `offboard`.
struct OrganizationSelection: ParsableArguments {
    @Option(name: .customLong("org"), help: ArgumentHelp("Only this organization, by the name in its `organization:` section; repeatable. The other organizations' keys are not needed.", valueName: "name"))
    var names: [String] = []

    init() {}

    /// The organizations of `result` to work on; an unknown name is a usage error (exit 1, nothing sent).
    func select(_ result: OrganizationLoadResult) throws -> [LoadedOrganization] {
        do {
            return try result.selecting(names)
        } catch {
            throw CLIError(wrapping: error)
        }
    }
}

/// One organization of a run over several, with the client that holds its key (and only its key).
struct OrganizationClient: Sendable {
    var organization: LoadedOrganization
    var client: CogramClient
    var identity: BackendIdentity
    /// Where its key came from, for messages (never the key).
    var keySource: String

    var read: OrganizationRead<CogramClient> {
        OrganizationRead(organization: organization, client: client, apiURL: identity.apiURL, keySource: keySource)
    }
}

extension Backend {
    /// Runs `body` with one client per organization, each with the key of that organization's `api_key_env`.
    /// Every key is resolved before any client is made, so that a missing variable stops the run before any
    /// request. `parallelism` and `requestsPerMinute` hold for each organization, which run at once: each has its
    /// own key and so its own rate limit at Cogram, and their reads overlap (BENCHMARKS.md, figure 13). With
    /// `--sandbox`, each organization is a sandbox organization of the same name in one database, seeded from
    /// the seed beside its root, with its own key (`api_key_env` is ignored there).
    static func withOrganizationClients<T: Sendable>(
        connection: ConnectionOptions, sandbox: SandboxSelection, organizations: [LoadedOrganization],
        requestsPerMinute: Int?, parallelism: Int?,
        _ body: @escaping ([OrganizationClient]) async throws -> T
    ) async throws -> T {
        func open(_ settings: [(ClientSettings, String)], database: String?) async throws -> T {
            try await withClients(
                connection: connection, settings: settings.map(\.0), database: database,
                requestsPerMinute: requestsPerMinute, parallelism: parallelism
            ) { clients in
                try await body(zip(organizations, zip(clients, settings)).map { organization, pair in
                    OrganizationClient(organization: organization, client: pair.0.client, identity: pair.0.identity, keySource: pair.1.1)
                })
            }
        }
        guard sandbox.isEnabled else {
            if connection.apiKeyFile != nil {
                throw CLIError("--api-key-file holds one key, and these manifests hold several organizations, each with its own key from its api_key_env: remove --api-key-file and set those variables")
            }
            let settings = try OrganizationRuns.resolveKeys(organizations) { organization in
                let variable = organization.organization?.apiKeyEnv
                return (try connection.resolveSettings(keyVariable: variable), variable ?? "COGRAM_API_KEY")
            }
            return try await open(settings, database: nil)
        }
        let seeds = organizations.map { organization in
            let desired = organization.desired
            let emails = desired.users.map(\.normalizedEmail) + desired.projects.flatMap { $0.members ?? [] }.map(\.normalizedEmail)
            return SandboxOrganizationSeed(
                name: organization.name ?? "", seedPath: organization.organization.flatMap { SandboxOrganizationSeed.besideRoot($0.root) },
                emails: Set(emails), anchor: organization.organization?.anchor)
        }
        return try await withSandboxOrganizations(
            connection: connection, sandbox: sandbox, seeds: seeds, requestsPerMinute: requestsPerMinute
        ) { settings, database in try await open(settings, database: database) }
    }

    /// The embedded sandbox serving one organization per seed (made and seeded when the database lacks it) for
    /// the length of `body`: each organization's client settings with its own key, and the database's path.
    static func withSandboxOrganizations<T>(
        connection: ConnectionOptions, sandbox: SandboxSelection, seeds: [SandboxOrganizationSeed], requestsPerMinute: Int?,
        _ body: ([(ClientSettings, String)], String) async throws -> T
    ) async throws -> T {
        if sandbox.seedPath != nil {
            throw CLIError("--sandbox-seed seeds one organization; with several organizations each is seeded from the sandbox-seed.json beside its root (or from its manifests' emails): remove --sandbox-seed")
        }
        let path = sandbox.databasePath ?? SandboxSelection.defaultDatabasePath
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: absolute).deletingLastPathComponent(), withIntermediateDirectories: true)
        var options = SandboxOptions(databasePath: absolute)
        if let requestsPerMinute { options.rateLimitPerMinute = max(options.rateLimitPerMinute, requestsPerMinute) }
        let rate = options.rateLimitPerMinute
        do {
            return try await Sandbox.withOrganizations(options, organizations: seeds) { baseURL, keys in
                var banner: TerminalMessage = "Using the embedded sandbox at \(baseURL.absoluteString) (database \(path), \(rate) requests/min"
                for key in keys {
                    if let seededFrom = key.seededFrom { banner += "; new organization \(key.name): seeded from \(seededFrom)" }
                }
                banner += "); nothing is sent to Cogram.\n"
                Terminal.writeError(banner)
                let settings = keys.map {
                    (ClientSettings(apiURL: baseURL, apiKey: $0.apiKey, actor: connection.resolveActor()), OrganizationHeader.sandboxKeySource)
                }
                return try await body(settings, absolute)
            }
        } catch SandboxError.embeddedStartFailed(_, let reason) {
            throw CLIError("cannot start the embedded sandbox with \(path): \(reason)")
        }
    }
}

extension Backend {
    /// Runs `body` with one client per element of `settings`, in that order. `parallelism` and
    /// `requestsPerMinute` hold for each client: each holds its own key, with its own rate limit at Cogram;
    /// `database` is the embedded sandbox's, when it is one.
    static func withClients<T: Sendable>(
        connection: ConnectionOptions, settings: [ClientSettings], database: String?, requestsPerMinute: Int?,
        parallelism: Int?, _ body: @escaping ([(client: CogramClient, identity: BackendIdentity)]) async throws -> T
    ) async throws -> T {
        func open(index: Int, opened: [(client: CogramClient, identity: BackendIdentity)]) async throws -> T {
            guard index < settings.count else { return try await body(opened) }
            var configuration = try connection.clientConfiguration(
                settings: settings[index], version: Cogramctl.version, embeddedSandbox: database != nil)
            if let requestsPerMinute { configuration.requestsPerMinute = requestsPerMinute }
            if let parallelism { configuration.maxConcurrentRequests = parallelism }
            let identity = database.map { BackendIdentity.sandbox(databasePath: $0) } ?? .cogram(configuration.baseURL)
            return try await CogramClient.withClient(configuration) { client in
                try await open(index: index + 1, opened: opened + [(client, identity)])
            }
        }
        return try await open(index: 0, opened: [])
    }
}
