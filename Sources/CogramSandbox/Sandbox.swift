import CogramAPI
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// Entry points: start an in-process sandbox, or serve one until SIGINT/SIGTERM.
public enum Sandbox {
    /// What `prepare` produced: the opened store, the organization and the key to use.
    struct Prepared: Sendable {
        var store: SandboxStore
        var organization: SandboxStore.Organization?
        var apiKey: String?
        /// With `KeyPolicy.organizations`: each organization and its key.
        var organizationKeys: [SandboxOrganizationKey] = []
    }

    /// Which key `prepare` makes sure of.
    enum KeyPolicy: Sendable, Hashable {
        /// `SandboxOptions.apiKey` when given (created or reused), else a generated one when a seed was given.
        case fromOptions
        /// A key for runs of this process (`withSandbox`): `SandboxOptions.apiKey` when given, else the
        /// database's embedded key (`SandboxStore.embeddedKey`), made once and reused by every run.
        case embedded
        /// The embedded key of each of these organizations, made and seeded when the database lacks them
        /// (`SandboxStore.ensureOrganizations`).
        case organizations([SandboxOrganizationSeed])
    }

    /// Opens the database, applies the seed and creates or reuses the key.
    static func prepare(_ options: SandboxOptions, keys: KeyPolicy = .fromOptions) throws -> Prepared {
        let store = try SandboxStore(path: options.databasePath)
        do {
            var organization: SandboxStore.Organization?
            if let seed = options.seed {
                let id = try store.seed(seed)
                organization = SandboxStore.Organization(id: id, name: seed.organization)
            }
            let wantsKey = options.apiKey != nil || options.seed != nil || keys == .embedded
            var apiKey: String?
            if wantsKey {
                if organization == nil {
                    let all = try store.organizations()
                    guard all.count == 1 else { throw SandboxError.organizationAmbiguous(count: all.count) }
                    organization = all[0]
                }
                if let organization {
                    switch (keys, options.apiKey) {
                    case (_, let value?):
                        apiKey = try store.createAPIKey(organization: organization.id, name: "sandbox", value: value)
                    case (.embedded, nil):
                        apiKey = try store.embeddedKey(orgID: organization.id)
                    case (.fromOptions, nil):
                        apiKey = try store.createAPIKey(organization: organization.id, name: "sandbox-generated")
                    case (.organizations, nil):
                        break
                    }
                }
            }
            var organizationKeys: [SandboxOrganizationKey] = []
            if case .organizations(let list) = keys {
                organizationKeys = try store.ensureOrganizations(list)
            }
            if options.dialects.contains(.unknownEnumValues) {
                for organization in try store.organizations() {
                    try store.ensureDefaultUnknownValues(orgID: organization.id)
                }
            }
            return Prepared(store: store, organization: organization, apiKey: apiKey, organizationKeys: organizationKeys)
        } catch {
            try? store.close()
            throw error
        }
    }

    static func logger() -> Logger {
        var logger = Logger(label: "cogram.sandbox") { DeferredStreamLogHandler(label: $0) }
        logger.logLevel = .warning
        return logger
    }

    static func application(
        store: SandboxStore, options: SandboxOptions, stats: StatsRecorder,
        onServerRunning: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let connections = ClientConnections(perClient: options.maxConnectionsPerClient)
        let headTimeout = TimeAmount(options.headTimeout)
        return Application(
            responder: SandboxResponder(store: store, options: options, stats: stats),
            server: .http1(configuration: .init(
                additionalChannelHandlers: [ConnectionGuardInstaller(connections: connections, headTimeout: headTimeout)],
                idleTimeout: TimeAmount(options.idleTimeout))),
            configuration: .init(
                address: .hostname(options.host, port: options.port), serverName: "cogram-sandbox",
                availableConnectionsDelegate: MaximumAvailableConnections(max(1, options.maxConnections), logger: logger())),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
            logger: logger())
    }

    /// Runs a sandbox for the length of `body`, inside the caller's task tree: the server is a child task of a task
    /// group, `body` gets the running sandbox once it accepts connections, and this returns only after the server
    /// has shut down (gracefully: requests in flight finish) and the database is closed. An error of `body` wins
    /// over one of stopping. Each call is independent (no global state), so tests may run many sandboxes at once.
    public static func run<T>(
        _ options: SandboxOptions, isolation: isolated (any Actor)? = #isolation,
        _ body: (RunningSandbox) async throws -> T
    ) async throws -> T {
        try await run(options, keys: .fromOptions, body)
    }

    static func run<T>(
        _ options: SandboxOptions, keys: KeyPolicy, isolation: isolated (any Actor)? = #isolation,
        _ body: (RunningSandbox) async throws -> T
    ) async throws -> T {
        let launch = try Launch(options, keys: keys)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { tasks in
            tasks.addTask { try await launch.serve() }
            var bound: Int?
            for await port in launch.ports {
                bound = port
                break
            }
            guard let port = bound else { throw await launch.failure { try await tasks.waitForAll() } }
            let running = launch.running(port: port)
            let result = try await withCleanUp { try await body(running) } cleanUp: { try await running.shutdown() }
            // The server's own shutdown errors are of no use to the caller.
            while !tasks.isEmpty { _ = try? await tasks.next() }
            return result
        }
    }

    /// Starts a sandbox in this process and returns once it accepts connections; call `shutdown()` to stop it.
    ///
    /// The server runs in an unstructured task. Prefer `run`, which keeps it in the caller's task tree; this is
    /// for callers whose sandbox outlives one scope (benchmarks, end-to-end fixtures that restart a server).
    public static func start(_ options: SandboxOptions) async throws -> RunningSandbox {
        let launch = try Launch(options, keys: .fromOptions)
        let task = Task { try await launch.serve() }
        for await port in launch.ports {
            return launch.running(port: port)
        }
        throw await launch.failure { try await task.value }
    }

    /// A prepared server, not yet running: what `run` (in a child task) and `start` (in an unstructured task) share.
    private struct Launch: Sendable {
        let options: SandboxOptions
        let prepared: Prepared
        let stats = StatsRecorder()
        let stopped = Completion()
        let group: ServiceGroup
        /// Yields the bound port once the server listens; ends without one when it stops before.
        let ports: AsyncStream<Int>
        private let continuation: AsyncStream<Int>.Continuation

        init(_ options: SandboxOptions, keys: KeyPolicy) throws {
            self.options = options
            prepared = try Sandbox.prepare(options, keys: keys)
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let app = Sandbox.application(store: prepared.store, options: options, stats: stats) { port in
                continuation.yield(port)
                continuation.finish()
            }
            group = ServiceGroup(configuration: .init(services: [app], logger: Sandbox.logger()))
            self.ports = ports
            self.continuation = continuation
        }

        /// Runs the server until it stops, marking it stopped either way.
        func serve() async throws {
            defer { continuation.finish() }
            do {
                try await group.run()
                await stopped.finish()
            } catch {
                await stopped.finish()
                throw error
            }
        }

        func running(port: Int) -> RunningSandbox {
            RunningSandbox(
                host: options.host, port: port, apiKey: prepared.apiKey, organization: prepared.organization,
                organizationKeys: prepared.organizationKeys, store: prepared.store, recorder: stats, group: group, stopped: stopped)
        }

        /// The error of a server that stopped before listening; `served` waits for `serve()` to end.
        func failure(
            isolation: isolated (any Actor)? = #isolation, _ served: () async throws -> Void
        ) async -> SandboxError {
            try? prepared.store.close()
            do {
                try await served()
                return SandboxError.startFailed("the server stopped before listening")
            } catch let error as SandboxError {
                return error
            } catch {
                return SandboxError.startFailed("cannot listen on \(options.host):\(options.port): \(error)")
            }
        }
    }

    /// Runs a sandbox for the length of `body` (see `run`), in the spirit of `CogramClient.withClient`: `body` gets
    /// the base URL and an API key of the organization; the sandbox is always stopped afterwards, and an error of
    /// `body` wins over one of stopping.
    ///
    /// The key is `SandboxOptions.apiKey` when given, else the database's embedded key: made by the first run,
    /// named `embedded` in the audit log, reused by the next runs and never printed. A database file that did not
    /// exist before is removed again when the sandbox cannot start. Errors before `body` runs are
    /// `SandboxError.embeddedStartFailed`; errors of `body` are rethrown as they are.
    public static func withSandbox<T>(
        _ options: SandboxOptions, isolation: isolated (any Actor)? = #isolation,
        _ body: (_ baseURL: URL, _ apiKey: String) async throws -> T
    ) async throws -> T {
        try await embedded(options, keys: .embedded) { running, baseURL in
            // `.embedded` always makes a key (or throws).
            guard let apiKey = running.apiKey else {
                throw SandboxError.embeddedStartFailed(databasePath: options.databasePath, reason: "no API key was made")
            }
            return try await body(baseURL, apiKey)
        }
    }

    /// Runs a sandbox that serves several organizations for the length of `body`, as `withSandbox` does for one:
    /// the database holds one organization per entry of `organizations` (made and seeded when it lacks one, see
    /// `SandboxStore.ensureOrganizations`), and `body` gets each one's embedded key, in the order given. A key
    /// reads its own organization only.
    public static func withOrganizations<T>(
        _ options: SandboxOptions, organizations: [SandboxOrganizationSeed], isolation: isolated (any Actor)? = #isolation,
        _ body: (_ baseURL: URL, _ keys: [SandboxOrganizationKey]) async throws -> T
    ) async throws -> T {
        try await embedded(options, keys: .organizations(organizations)) { running, baseURL in
            try await body(baseURL, running.organizationKeys)
        }
    }

    /// What `withSandbox` and `withOrganizations` share: a database file that did not exist before is removed
    /// again when the sandbox cannot start, and errors before `body` runs are `embeddedStartFailed`.
    private static func embedded<T>(
        _ options: SandboxOptions, keys: KeyPolicy, isolation: isolated (any Actor)? = #isolation,
        _ body: (RunningSandbox, URL) async throws -> T
    ) async throws -> T {
        let existed = FileManager.default.fileExists(atPath: options.databasePath)
        var started = false
        do {
            return try await run(options, keys: keys) { running in
                started = true
                // The base URL is built from a host and a port.
                guard let baseURL = URL(string: running.baseURL) else {
                    throw SandboxError.embeddedStartFailed(databasePath: options.databasePath, reason: "no base URL")
                }
                return try await body(running, baseURL)
            }
        } catch {
            if started { throw error }
            if !existed {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: options.databasePath + suffix) }
            }
            throw SandboxError.embeddedStartFailed(databasePath: options.databasePath, reason: "\(error)")
        }
    }

    /// Runs a sandbox in the foreground until SIGINT or SIGTERM, then shuts down gracefully.
    ///
    /// `onListening` receives the base URL, the organization and the key (for the startup banner).
    public static func serve(
        _ options: SandboxOptions,
        onListening: @escaping @Sendable (_ baseURL: String, _ organization: String?, _ apiKey: String?) -> Void
    ) async throws {
        let prepared = try prepare(options)
        defer { try? prepared.store.close() }
        let app = application(store: prepared.store, options: options, stats: StatsRecorder()) { port in
            onListening(baseURL(host: options.host, port: port), prepared.organization?.name, prepared.apiKey)
        }
        try await app.runService()
    }

    static func baseURL(host: String, port: Int) -> String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "http://\(shown):\(port)"
    }
}

/// A sandbox running in this process.
public final class RunningSandbox: Sendable {
    /// `http://HOST:PORT`, with the port actually bound.
    public let baseURL: String
    public let port: Int
    /// The key created or reused from `SandboxOptions.apiKey`, or generated when a seed was given without one.
    public let apiKey: String?
    /// The seeded (or only) organization, when known.
    public let organization: SandboxStore.Organization?
    /// The organizations asked for by `Sandbox.withOrganizations`, each with its key; empty otherwise.
    public let organizationKeys: [SandboxOrganizationKey]
    /// Direct access to the data, bypassing HTTP.
    public let store: SandboxStore
    private let recorder: StatsRecorder
    private let group: ServiceGroup
    private let stopped: Completion
    private let shutdownState = ShutdownState()

    init(
        host: String, port: Int, apiKey: String?, organization: SandboxStore.Organization?,
        organizationKeys: [SandboxOrganizationKey] = [], store: SandboxStore, recorder: StatsRecorder, group: ServiceGroup,
        stopped: Completion
    ) {
        self.baseURL = Sandbox.baseURL(host: host, port: port)
        self.port = port
        self.apiKey = apiKey
        self.organization = organization
        self.organizationKeys = organizationKeys
        self.store = store
        self.recorder = recorder
        self.group = group
        self.stopped = stopped
    }

    /// Requests served so far.
    public func stats() async -> SandboxStats { recorder.snapshot() }

    /// Sets every counter back to zero.
    public func resetStats() async { recorder.reset() }

    /// Shuts down gracefully: stops accepting connections, lets requests in flight finish, waits for the server
    /// to stop and closes the database. Calling it again does nothing.
    public func shutdown() async throws {
        guard await shutdownState.begin() else { return }
        await group.triggerGracefulShutdown()
        await stopped.wait()
        try store.close()
    }
}

/// Signalled once the server's service group has returned; `wait` returns at once after that.
actor Completion {
    private var done = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func finish() {
        done = true
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }

    func wait() async {
        if done { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}

private actor ShutdownState {
    private var started = false

    func begin() -> Bool {
        defer { started = true }
        return !started
    }
}
