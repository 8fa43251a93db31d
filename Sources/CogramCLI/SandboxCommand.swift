import ArgumentParser
import CogramAPI
import CogramSandbox
import Foundation

/// `cogramctl sandbox …`: the local Cogram-API-compatible server and its housekeeping.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run and manage the local Cogram-API-compatible sandbox server.",
        discussion: "See docs/sandbox.md for the seed format, API keys, rate limiting and fault injection.",
        subcommands: [Serve.self, Keys.self, Audit.self],
        defaultSubcommand: nil
    )
}

/// The database option every sandbox subcommand shares.
struct SandboxDatabaseOption: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp("SQLite database of the sandbox.", valueName: "path"))
    var path: String = SandboxOptions.defaultDatabasePath

    /// Creates the parent directories, opens the store, runs `body` with it and closes it; what the store
    /// reports as a `SandboxError` becomes a CLI error.
    func withStore<T>(_ body: (SandboxStore) throws -> T) throws -> T {
        try createParentDirectories()
        let store = try SandboxStore(path: path)
        defer { try? store.close() }
        return try withSandboxErrors { try body(store) }
    }

    func createParentDirectories() throws {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    }
}

extension SandboxCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve the Cogram API v1 from a local SQLite database until SIGINT or SIGTERM.",
            discussion: """
                With --seed, the seed file's organization, users and projects are created (idempotently) and an \
                API key is created (--api-key) or generated and printed once on stderr. The OpenAPI document is \
                served at /v1/openapi.yaml and a readable reference at /v1/docs.
                """
        )

        @OptionGroup var database: SandboxDatabaseOption

        @Option(help: ArgumentHelp("Seed file (JSON) with the organization, its users and projects.", valueName: "file"))
        var seed: String?

        @Option(help: ArgumentHelp("Address to listen on.", valueName: "host"))
        var host = SandboxOptions.defaultHost

        @Option(help: ArgumentHelp("Port to listen on; 0 picks a free one.", valueName: "port"))
        var port = 8787

        @Option(name: .customLong("api-key-file"), help: ArgumentHelp("Create or reuse the API key in this file (chmod 600) for the organization instead of generating one. Default: $COGRAM_SANDBOX_API_KEY.", valueName: "file"))
        var apiKeyFile: String?

        @Option(name: .customLong("api-key"), help: ArgumentHelp("Like --api-key-file, with the key on the command line, where other users of the machine can read it.", valueName: "key"))
        var apiKey: String?

        @Option(name: .customLong("rate-limit"), help: ArgumentHelp("Requests per key per minute.", valueName: "n"))
        var rateLimit = ClientConfiguration.defaultRequestsPerMinute

        @Option(name: .customLong("max-body-bytes"), help: ArgumentHelp("Largest accepted request body.", valueName: "bytes"))
        var maxBodyBytes = SandboxOptions.defaultMaxBodyBytes

        @Option(name: .customLong("fault-seed"), help: ArgumentHelp("Seed of the fault-injection random generator.", valueName: "n"))
        var faultSeed: UInt64 = 0

        @Option(name: .customLong("fault-latency-ms"), help: ArgumentHelp("Delay added to every API request.", valueName: "ms"))
        var faultLatency = 0

        @Option(name: .customLong("fault-error-before"), help: ArgumentHelp("Probability of answering 500/503 without making the change.", valueName: "rate"))
        var faultErrorBefore = 0.0

        @Option(name: .customLong("fault-error-after"), help: ArgumentHelp("Probability of answering 500/503 after a write was committed.", valueName: "rate"))
        var faultErrorAfter = 0.0

        @Option(name: .customLong("fault-drop"), help: ArgumentHelp("Probability of closing the connection without an answer.", valueName: "rate"))
        var faultDrop = 0.0

        @Option(name: .customLong("fault-429-burst"), help: ArgumentHelp("Probability that a request starts a burst of 429 answers.", valueName: "rate"))
        var fault429Burst = 0.0

        @Option(name: .customLong("fault-429-burst-length"), help: ArgumentHelp("Number of consecutive 429 answers in a burst.", valueName: "n"))
        var fault429BurstLength = FaultOptions.defaultRateLimitBurstLength

        @Option(name: .customLong("fault-429-retry-after"), help: ArgumentHelp("Retry-After of an injected 429, in seconds (0 to 120; 0 asks for a retry at once).", valueName: "seconds"))
        var fault429RetryAfter = FaultOptions.defaultRateLimitRetryAfterSeconds

        @Option(name: .customLong("fault-fail"), help: ArgumentHelp("Answer STATUS (409, 500 or 503) to every METHOD request whose path matches PATH, where * stands for one segment, without doing anything (repeatable): 'PUT /v1/projects/*/members/usr_1=503'.", valueName: "METHOD PATH=STATUS"))
        var faultFail: [String] = []

        /// The `--fault-fail` rules, parsed.
        func failureRules() throws -> [FaultRule] {
            do {
                return try faultFail.map { try FaultRule(parsing: $0) }
            } catch {
                throw ValidationError("--fault-fail: \(error)")
            }
        }

        @Option(name: .customLong("dialect"), help: ArgumentHelp("Depart from the API contract as a real server might, to see how a client copes: NAME[,NAME] (repeatable) of \(SandboxDialect.names). See docs/sandbox.md.", valueName: "names"))
        var dialect: [String] = []

        /// The `--dialect` names, parsed.
        func dialects() throws -> Set<SandboxDialect> {
            var all: Set<SandboxDialect> = []
            for list in dialect {
                do {
                    all.formUnion(try SandboxDialect.parse(list))
                } catch {
                    throw ValidationError("--dialect: \(error)")
                }
            }
            return all
        }

        func validate() throws {
            _ = try dialects()
            _ = try failureRules()
            guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
            guard rateLimit >= 1 else { throw ValidationError("--rate-limit must be at least 1") }
            guard maxBodyBytes >= 1 else { throw ValidationError("--max-body-bytes must be at least 1") }
            guard faultLatency >= 0 else { throw ValidationError("--fault-latency-ms must not be negative") }
            guard fault429BurstLength >= 1 else { throw ValidationError("--fault-429-burst-length must be at least 1") }
            guard (0...120).contains(fault429RetryAfter) else {
                throw ValidationError("--fault-429-retry-after must be between 0 and 120 seconds")
            }
            let rates = [
                ("--fault-error-before", faultErrorBefore), ("--fault-error-after", faultErrorAfter),
                ("--fault-drop", faultDrop), ("--fault-429-burst", fault429Burst),
            ]
            for (name, rate) in rates where !(0...1).contains(rate) {
                throw ValidationError("\(name) must be a probability between 0 and 1")
            }
            if apiKey != nil, apiKeyFile != nil {
                throw ValidationError("use either --api-key-file or --api-key, not both")
            }
        }

        /// The key from `--api-key-file`, `--api-key` or `COGRAM_SANDBOX_API_KEY`, checked; nil to generate one.
        /// Never echoes the key.
        func resolvedKey(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
            if apiKeyFile == nil, apiKey != nil { Terminal.writeError("warning: \(SandboxServeKey.commandLineWarning)\n") }
            do {
                return try SandboxServeKey.resolve(apiKeyFile: apiKeyFile, apiKey: apiKey, environment: environment)
            } catch {
                throw CLIError(wrapping: error)
            }
        }

        func run() async throws {
            try database.createParentDirectories()
            var options = SandboxOptions(databasePath: database.path, host: host, port: port)
            options.rateLimitPerMinute = rateLimit
            options.maxBodyBytes = maxBodyBytes
            let key = try resolvedKey()
            options.apiKey = key
            options.dialects = try dialects()
            options.faults = FaultOptions(
                seed: faultSeed, latencyMilliseconds: faultLatency, errorBeforeRate: faultErrorBefore,
                errorAfterRate: faultErrorAfter, dropRate: faultDrop, rateLimitBurstRate: fault429Burst,
                rateLimitBurstLength: fault429BurstLength, rateLimitRetryAfterSeconds: fault429RetryAfter,
                failures: try failureRules())
            if let seed {
                options.seed = try SandboxSeed.load(path: seed)
            }
            let generated = key == nil
            let dbPath = database.path
            let faultsOn = options.faults.isEnabled
            let dialectNames = options.dialects.sorted().map(\.rawValue).joined(separator: ",")
            do {
                try await Sandbox.serve(options) { url, organization, key in
                    var line: TerminalMessage = "cogram sandbox listening on \(url) (db: \(dbPath)"
                    if let organization { line += ", org: \(organization)" }
                    if faultsOn { line += ", faults: on" }
                    if !dialectNames.isEmpty { line += ", dialects: \(dialectNames)" }
                    line += ")\n"
                    if generated, let key {
                        line += "API key (shown once): \(key)\n"
                    }
                    line += "OpenAPI: \(url)/v1/openapi.yaml  docs: \(url)/v1/docs  stop: Ctrl-C\n"
                    Terminal.writeError(line)
                }
            } catch let error as SandboxError {
                throw CLIError(wrapping: error)
            }
        }
    }

    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keys",
            abstract: "Create, list and revoke the sandbox's API keys.",
            subcommands: [Create.self, List.self, Revoke.self]
        )
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "Print the audit log of writes (newest first): time, status, method, path, actor, key name."
        )

        @OptionGroup var database: SandboxDatabaseOption

        @Option(help: ArgumentHelp("Only this organization (name or id).", valueName: "name"))
        var org: String?

        @Option(help: ArgumentHelp("Print at most this many entries.", valueName: "n"))
        var limit = 50

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let entries = try database.withStore { try $0.auditLog(organization: org, limit: limit) }
            var text = ""
            for entry in entries {
                text += [
                    entry.at, String(entry.status), entry.method, entry.path,
                    "actor=\(entry.actor ?? "-")", "key=\(entry.keyName ?? "-")",
                    org == nil ? "org=\(entry.organization)" : nil,
                ].compactMap { $0 }.map(OutputEscaping.terminal).joined(separator: "  ") + "\n"
            }
            if entries.isEmpty { Terminal.writeError("No audited writes.\n") }
            Terminal.writeOutput(rendered: text)
        }
    }
}

extension SandboxCommand.Keys {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create an API key and print it once on stdout; only its SHA-256 is stored."
        )

        @OptionGroup var database: SandboxDatabaseOption

        @Option(help: ArgumentHelp("Organization (name or id).", valueName: "name"))
        var org: String

        @Option(help: ArgumentHelp("A name for the key, recorded in the audit log.", valueName: "name"))
        var name: String

        @Option(name: .customLong("expires-in"), help: ArgumentHelp("Lifetime, such as 90s, 30m, 12h or 30d.", valueName: "duration"))
        var expiresIn: String?

        @Option(name: .customLong("expires-at"), help: ArgumentHelp("Expiry time (RFC 3339, e.g. 2026-12-31T23:59:59Z).", valueName: "time"))
        var expiresAt: String?

        func validate() throws {
            if expiresIn != nil, expiresAt != nil {
                throw ValidationError("use either --expires-in or --expires-at, not both")
            }
            if let expiresIn {
                guard let seconds = parseDuration(expiresIn), seconds.isFinite else {
                    throw ValidationError("--expires-in takes a positive number and a unit s, m, h or d (for example 30d)")
                }
                guard seconds <= Self.longestLifetime else {
                    throw ValidationError("--expires-in may be at most 3650d (ten years)")
                }
            }
            if let expiresAt, Instant(rfc3339: expiresAt)?.date == nil {
                throw ValidationError("--expires-at takes an RFC 3339 time such as 2026-12-31T23:59:59Z")
            }
            if name.isEmpty { throw ValidationError("--name must not be empty") }
            if name == SandboxStore.embeddedKeyName {
                throw ValidationError("--name '\(name)' is reserved for the key of embedded runs (--sandbox); choose another name")
            }
        }

        /// Ten years: longer is "never", which is what leaving the option out says.
        static let longestLifetime: TimeInterval = 3650 * 86400

        func run() async throws {
            var expiry: Date?
            if let expiresIn, let seconds = parseDuration(expiresIn) {
                expiry = Date().addingTimeInterval(seconds)
            } else if let expiresAt {
                expiry = Instant(rfc3339: expiresAt)?.date
            }
            let key = try database.withStore { try $0.createAPIKey(organization: org, name: name, expiresAt: expiry) }
            Terminal.writeError("Created API key '\(name)'. It is shown only now; store it safely.\n")
            Terminal.writeOutput(rendered: key + "\n")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List API keys (ids, names, dates, state; never the keys themselves).")

        @OptionGroup var database: SandboxDatabaseOption

        @Option(help: ArgumentHelp("Only this organization (name or id).", valueName: "name"))
        var org: String?

        func run() async throws {
            let keys = try database.withStore { try $0.listAPIKeys(organization: org) }
            if keys.isEmpty {
                Terminal.writeError("No API keys.\n")
                return
            }
            var text = ""
            for key in keys {
                text += [
                    key.id, key.state, key.name, "org=\(key.organization)", "created=\(key.createdAt)",
                    "expires=\(key.expiresAt ?? "never")",
                ].map(OutputEscaping.terminal).joined(separator: "  ") + "\n"
            }
            Terminal.writeOutput(rendered: text)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "Revoke an API key by id (or every active key with that name).")

        @OptionGroup var database: SandboxDatabaseOption

        @Option(help: ArgumentHelp("Organization (name or id).", valueName: "name"))
        var org: String

        @Argument(help: ArgumentHelp("The key's id (key_…) or name, as `keys list` shows.", valueName: "key"))
        var key: String

        func run() async throws {
            let count = try database.withStore { try $0.revokeAPIKey(organization: org, key: key) }
            guard count > 0 else {
                throw CLIError("no active key '\(key)' in organization '\(org)'")
            }
            Terminal.writeError("Revoked \(count) key\(count == 1 ? "" : "s").\n")
        }
    }
}

private func withSandboxErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as SandboxError {
        throw CLIError(wrapping: error)
    }
}
