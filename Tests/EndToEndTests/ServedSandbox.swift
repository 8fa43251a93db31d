#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// `cogramctl sandbox serve` started by the built binary, as a user starts it, over a database the test seeded,
/// on a free port; `stop()` sends SIGINT and waits. Its options (faults above all) are the command line's.
struct ServedSandbox: Sendable {
    let server: BackgroundBinary
    /// `http://127.0.0.1:PORT`, read from the startup line.
    let url: String
    let key: String

    struct NotListening: Error, CustomStringConvertible {
        var stderr: String
        var description: String { "sandbox serve did not start listening: \(stderr.suffix(1500))" }
    }

    /// Seeds `database` with `seed` (idempotently) and returns the seeded organization's id.
    static func seed(_ seed: SandboxSeed, database: String) throws -> String {
        let store = try SandboxStore(path: database)
        defer { try? store.close() }
        return try store.seed(seed)
    }

    /// Seeds every organization of `seeds` into `database`, each with an API key of its own named `ci` and valued
    /// `<keyPrefix>-<UUID>` (unique, so that a test can search every output for it); their ids and keys, in order.
    static func seed(_ seeds: [(seed: SandboxSeed, keyPrefix: String)], database: String) throws -> [(id: String, key: String)] {
        let store = try SandboxStore(path: database)
        defer { try? store.close() }
        return try seeds.map { seed, keyPrefix in
            let id = try store.seed(seed)
            let key = keyPrefix + "-" + UUID().uuidString
            _ = try store.createAPIKey(organization: id, name: "ci", value: key)
            return (id, key)
        }
    }

    /// Seeds `folder/sandbox.sqlite` with Northwind Build's ana (admin), ben and chloe (members) and `projects`, and
    /// writes `manifest` as `folder/manifest.yaml`: the database, the organization's id, and ben's user id (the
    /// fault rules that make one membership fail name ben by id).
    static func seedNorthwind(
        projects: [SandboxSeed.Project], manifest: String, in folder: URL
    ) throws -> (database: String, organization: String, benID: String) {
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        let (ana, ben, chloe) = (TestOrganization.email("ana"), TestOrganization.email("ben"), TestOrganization.email("chloe"))
        let organization = try seed(SandboxSeed(
            organization: "Northwind Build",
            users: [
                .init(email: ana, name: "Ana Ruiz", role: .admin), .init(email: ben, name: "Ben Okafor", role: .member),
                .init(email: chloe, name: "Chloe Martin", role: .member),
            ],
            projects: projects),
            database: database)
        let benID = try userID(ben, organization: organization, database: database)
        try manifest.write(to: folder.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        return (database, organization, benID)
    }

    /// The id of the user with `email` in `database` (read with no server running, or beside one).
    static func userID(_ email: String, organization: String, database: String) throws -> String {
        let store = try SandboxStore(path: database)
        defer { try? store.close() }
        return try #require(try store.allUsers(organization: organization).first { $0.email == email }?.id, "no user \(email)")
    }

    /// Serves `database` (holding one organization) with `key` and `arguments` added to the command line.
    static func start(database: String, key: String, arguments: [String] = [], in folder: URL) async throws -> ServedSandbox {
        let (server, url) = try await launch(
            database: database, environment: ["COGRAM_SANDBOX_API_KEY": key, "NO_COLOR": "1"], arguments: arguments, in: folder)
        return ServedSandbox(server: server, url: url, key: key)
    }

    /// Starts `sandbox serve` on a free port with `environment` and waits until it says its URL.
    static func launch(
        database: String, environment: [String: String], arguments: [String] = [], in folder: URL
    ) async throws -> (BackgroundBinary, String) {
        let server = try BackgroundBinary(
            ["sandbox", "serve", "--db", database, "--port", "0", "--rate-limit", "100000"] + arguments,
            environment: environment, in: folder)
        let listening = await server.wait(timeout: 60) { server.stderr.contains("listening on http://") }
        let url = server.stderr.split(separator: "\n").first { $0.contains("listening on http://") }
            .flatMap { line in line.split(separator: " ").first { $0.hasPrefix("http://") } }.map(String.init)
        guard listening, let url else {
            server.send(SIGKILL)
            _ = await server.wait(timeout: 30)
            throw NotListening(stderr: server.stderr)
        }
        return (server, url)
    }

    /// The environment that points the binary at this server.
    var environment: [String: String] { ["COGRAM_API_URL": url, "COGRAM_API_KEY": key, "NO_COLOR": "1"] }

    /// Stops the server (SIGINT: requests in flight finish, the database is closed); its exit status.
    @discardableResult
    func stop() async -> Int32 {
        server.send(SIGINT)
        return await server.wait(timeout: 30)
    }
}

/// `email → role` of every project's members in a sandbox database, keyed by project name, read with the server
/// stopped.
func sandboxMemberships(_ database: String, _ organization: String) throws -> [String: [String: ProjectRole]] {
    let store = try SandboxStore(path: database)
    defer { try? store.close() }
    var result: [String: [String: ProjectRole]] = [:]
    for project in try store.allProjects(organization: organization) {
        var roles: [String: ProjectRole] = [:]
        for member in try store.members(organization: organization, projectID: project.id) { roles[member.email] = member.role.known }
        result[project.name] = roles
    }
    return result
}
