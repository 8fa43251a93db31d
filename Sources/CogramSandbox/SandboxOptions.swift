import CogramAPI
import Foundation

/// How to run a sandbox server: where its data lives, where it listens and how it misbehaves.
public struct SandboxOptions: Sendable {
    /// Where `--sandbox` and `cogramctl sandbox` keep the database unless told otherwise.
    public static let defaultDatabasePath = ".cogram/sandbox.sqlite"
    /// Loopback: the sandbox has no TLS.
    public static let defaultHost = "127.0.0.1"
    public static let defaultMaxBodyBytes = 1 << 20

    /// The SQLite database file. Parent directories must exist (the CLI creates them).
    public var databasePath: String
    /// The address to bind. Loopback by default: the sandbox has no TLS.
    public var host: String
    /// The port to bind; `0` asks the system for a free one (read it back from `RunningSandbox.baseURL`).
    public var port: Int
    /// Requests per key per fixed one-minute window.
    public var rateLimitPerMinute: Int
    /// Fault injection; off by default.
    public var faults: FaultOptions
    /// A seed applied (idempotently) before the server starts listening.
    public var seed: SandboxSeed?
    /// An API key value to create or reuse for the seed's organization.
    public var apiKey: String?
    /// Largest accepted request body; larger bodies get 413 `payload_too_large`.
    public var maxBodyBytes: Int
    /// Departures from the contract (none by default); see `SandboxDialect`.
    public var dialects: Set<SandboxDialect> = []
    /// A connection that sends nothing for this long is closed, so idle clients cannot hold connections open.
    public var idleTimeout: Duration = .seconds(60)
    /// Connections served at once; further ones wait in the listen backlog until one closes.
    public var maxConnections: Int = 256
    /// A connection whose first request head has not fully arrived this long after it opened is closed.
    public var headTimeout: Duration = .seconds(5)
    /// Connections of one client address at once; beyond it, the client's oldest connection still waiting for
    /// its first request head is closed to make room (or, when none is, the new one is refused).
    public var maxConnectionsPerClient: Int = 64

    public init(
        databasePath: String,
        host: String = defaultHost,
        port: Int = 0,
        rateLimitPerMinute: Int = ClientConfiguration.defaultRequestsPerMinute,
        faults: FaultOptions = .init(),
        seed: SandboxSeed? = nil,
        apiKey: String? = nil,
        maxBodyBytes: Int = defaultMaxBodyBytes
    ) {
        self.databasePath = databasePath
        self.host = host
        self.port = port
        self.rateLimitPerMinute = rateLimitPerMinute
        self.faults = faults
        self.seed = seed
        self.apiKey = apiKey
        self.maxBodyBytes = maxBodyBytes
    }
}

/// Reproducible fault injection for `/v1` API routes (never for `/v1/openapi.yaml` or `/v1/docs`).
///
/// Every API request draws the same number of values from a SplitMix64 generator seeded with `seed`, in
/// arrival order, so the same request sequence meets the same faults.
public struct FaultOptions: Sendable, Hashable {
    /// The PRNG seed.
    public var seed: UInt64
    /// Delay added to every API request.
    public var latencyMilliseconds: Int
    /// Probability of answering 503 `unavailable` or 500 `internal_error` without doing anything.
    public var errorBeforeRate: Double
    /// Probability that a successful write is committed but answered with 500 or 503.
    public var errorAfterRate: Double
    /// Probability of closing the connection without any response.
    public var dropRate: Double
    /// Probability that a request starts a burst of `rateLimitBurstLength` consecutive 429s.
    public var rateLimitBurstRate: Double
    /// Length of a 429 burst (at least 1).
    public var rateLimitBurstLength: Int
    /// The `Retry-After` of an injected 429, in seconds (0 asks the client to retry at once).
    public var rateLimitRetryAfterSeconds: Int
    /// Requests that always fail, whatever the draws (see `FaultRule`); the first matching rule answers.
    public var failures: [FaultRule]

    public static let defaultRateLimitBurstLength = 3
    public static let defaultRateLimitRetryAfterSeconds = 1

    public init(
        seed: UInt64 = 0,
        latencyMilliseconds: Int = 0,
        errorBeforeRate: Double = 0,
        errorAfterRate: Double = 0,
        dropRate: Double = 0,
        rateLimitBurstRate: Double = 0,
        rateLimitBurstLength: Int = defaultRateLimitBurstLength,
        rateLimitRetryAfterSeconds: Int = defaultRateLimitRetryAfterSeconds,
        failures: [FaultRule] = []
    ) {
        self.seed = seed
        self.latencyMilliseconds = latencyMilliseconds
        self.errorBeforeRate = errorBeforeRate
        self.errorAfterRate = errorAfterRate
        self.dropRate = dropRate
        self.rateLimitBurstRate = rateLimitBurstRate
        self.rateLimitBurstLength = rateLimitBurstLength
        self.rateLimitRetryAfterSeconds = rateLimitRetryAfterSeconds
        self.failures = failures
    }

    /// Whether any fault can happen.
    public var isEnabled: Bool {
        latencyMilliseconds > 0 || errorBeforeRate > 0 || errorAfterRate > 0 || dropRate > 0
            || rateLimitBurstRate > 0 || !failures.isEmpty
    }
}
