import CogramAPI
import CogramSandbox
import CogramSandboxTestSupport
import CogramTestSupport
import Foundation

/// A sandbox on a loopback port with a seeded organization, a folder of manifests, and the built binary pointed
/// at it with a key in the environment (as CI would run it against Cogram).
final class TestOrganization: Sendable {
    let server: TestSandbox
    let key: String
    /// How long `run` lets one command take before killing it (a hang guard, not a speed check).
    let runTimeout: TimeInterval

    var sandbox: RunningSandbox { server.running }
    /// The folder of the manifests and the sandbox's database; commands run in it.
    var directory: URL { server.directory }
    var databasePath: String { server.databasePath }
    var organizationID: String { server.organizationID }

    static let domain = "northwind-build.example"

    static func email(_ name: String) -> String { "\(name)@\(domain)" }

    /// Users ana (admin), ben, chloe, diego, elif, farah (members), ivan (guest) and a deactivated "gone".
    static let defaultUsers: [SandboxSeed.User] = [
        .init(email: email("ana"), name: "Ana Ruiz", role: .admin),
        .init(email: email("ben"), name: "Ben Okafor", role: .member),
        .init(email: email("chloe"), name: "Chloe Martin", role: .member),
        .init(email: email("diego"), name: "Diego Santos", role: .member),
        .init(email: email("elif"), name: "Elif Yilmaz", role: .member),
        .init(email: email("farah"), name: "Farah Haddad", role: .member),
        .init(email: email("ivan"), name: "Ivan Petrov", role: .guest),
        .init(email: email("gone"), name: "Gone Away", role: .member, status: .deactivated),
    ]

    private init(server: TestSandbox, key: String, runTimeout: TimeInterval) {
        self.server = server
        self.key = key
        self.runTimeout = runTimeout
    }

    static func start(
        projects: [SandboxSeed.Project] = [], users: [SandboxSeed.User] = defaultUsers,
        faults: FaultOptions = .init(), organization: String = "Northwind Build",
        rateLimitPerMinute: Int = 1000, key: String = "e2e-" + UUID().uuidString, runTimeout: TimeInterval = 180,
        dialects: Set<SandboxDialect> = []
    ) async throws -> TestOrganization {
        let server = try await TestSandbox.start(
            seed: SandboxSeed(organization: organization, users: users, projects: projects), apiKey: key,
            rateLimitPerMinute: rateLimitPerMinute, faults: faults, directory: makeTemporaryDirectory("cogramctl-e2e"),
            configure: { $0.dialects = dialects })
        return TestOrganization(server: server, key: key, runTimeout: runTimeout)
    }

    /// The same database served again with other faults (the previous sandbox must be stopped).
    func restarted(faults: FaultOptions = .init(), rateLimitPerMinute: Int = 1000) async throws -> TestOrganization {
        let server = try await server.restarted(apiKey: key, rateLimitPerMinute: rateLimitPerMinute, faults: faults)
        return TestOrganization(server: server, key: key, runTimeout: runTimeout)
    }

    func stop() async {
        await server.stop()
    }

    /// Writes a manifest file in the organization's folder.
    func write(_ yaml: String, to name: String = "manifest.yaml") throws {
        try yaml.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// The environment that points the binary at this sandbox.
    var environment: [String: String] {
        ["COGRAM_API_URL": sandbox.baseURL, "COGRAM_API_KEY": key, "NO_COLOR": "1"]
    }

    /// Runs `cogramctl` in the manifests folder against this sandbox.
    func run(
        _ arguments: [String], environment extra: [String: String] = [:], input: String? = nil, timeout: TimeInterval? = nil
    ) async throws -> Binary.Result {
        try await Binary.run(
            arguments, environment: environment.merging(extra) { $1 }, input: input, in: directory,
            timeout: timeout ?? runTimeout)
    }

    func projects() throws -> [Project] {
        try sandbox.store.allProjects(organization: organizationID)
    }

    func project(_ externalID: String) throws -> Project? {
        try projects().first { $0.externalID == externalID }
    }

    /// `email → role` of a project's members.
    func members(_ externalID: String) throws -> [String: ProjectRole] {
        guard let project = try project(externalID) else { return [:] }
        var out: [String: ProjectRole] = [:]
        for member in try sandbox.store.members(organization: organizationID, projectID: project.id) {
            out[member.email] = member.role.known
        }
        return out
    }

    func user(_ name: String) throws -> User? {
        try sandbox.store.allUsers(organization: organizationID).first { $0.email == Self.email(name) }
    }

    /// A client of the sandbox for changes made "by someone else" during a test.
    func withClient<T: Sendable>(_ body: (CogramClient) async throws -> T) async throws -> T {
        try await CogramClient.withClient(try server.clientConfiguration(key: key), body)
    }
}

/// A project entry of a manifest, for building YAML in tests.
func projectYAML(_ externalID: String, name: String? = nil, extra: String = "", members: [(String, String)]? = nil) -> String {
    var yaml = "  - external_id: \(externalID)\n    name: \(name ?? externalID.uppercased())\n"
    if !extra.isEmpty { yaml += extra.split(separator: "\n").map { "    \($0)\n" }.joined() }
    if let members {
        if members.isEmpty {
            yaml += "    members: []\n"
        } else {
            yaml += "    members:\n"
            for (email, role) in members {
                yaml += "      - email: \(TestOrganization.email(email))\n        role: \(role)\n"
            }
        }
    }
    return yaml
}

/// Runs `body` with `organization`, then stops its sandbox and waits until it has stopped, whether `body`
/// returned or threw (an error of `body` wins).
@discardableResult
func stopping<T>(
    _ organization: TestOrganization, isolation: isolated (any Actor)? = #isolation,
    _ body: (TestOrganization) async throws -> T
) async throws -> T {
    try await withCleanUp { try await body(organization) } cleanUp: { await organization.stop() }
}
