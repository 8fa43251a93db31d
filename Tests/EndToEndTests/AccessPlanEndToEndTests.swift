import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// Offboarding, expiry and the anchor check through the built binary against `sandbox serve`.
@Suite struct AccessPlanEndToEndTests {
    static let ana = "ana@access.example"
    static let ben = "ben@access.example"
    static let cat = "cat@access.example"

    static let seed = SandboxSeed(
        organization: "Access Org",
        users: [
            .init(email: ana, name: "Ana", role: .admin, id: "usr_anchor_ana"),
            .init(email: ben, name: "Ben", role: .member), .init(email: cat, name: "Cat", role: .member),
        ],
        projects: [
            .init(name: "Kept", externalID: "a-kept", members: [
                .init(email: ana, role: .owner), .init(email: ben, role: .editor), .init(email: cat, role: .viewer),
            ]),
            .init(name: "Old =cmd", externalID: "zz-foreign", status: .archived, members: [.init(email: cat, role: .editor)]),
            .init(name: "Loose", members: [.init(email: ana, role: .editor), .init(email: cat, role: .owner)]),
        ])

    /// `email → role` of every project's members, keyed by project name, read with the server stopped.
    static func memberships(_ database: String, _ organization: String) throws -> [String: [String: ProjectRole]] {
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

    static func manifest(anchor: String, benExpires: String, extra: String = "") -> String {
        """
        version: 1
        organization:
          name: Access Org
          anchor: \(anchor)
        ownership:
          external_id_prefix: a-
        offboarded:
          - {email: \(cat), date: 2026-01-05}
        \(extra)projects:
          - external_id: a-kept
            name: Kept
            members:
              - {email: \(ana), role: owner}
              - {email: \(ben), role: editor, expires: \(benExpires)}

        """
    }

    @Test func offboardingReachesArchivedAndUnkeyedProjectsAndExpiryWorksOnBothSidesOfTheDate() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-access-plan")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        let organization = try ServedSandbox.seed(Self.seed, database: database)
        let manifest = folder.appendingPathComponent("org.yaml")
        let server = try await ServedSandbox.start(database: database, key: "access-" + UUID().uuidString, in: folder)

        // ben's entry expires far in the future: kept. cat is removed everywhere, no cap flag needed.
        try Self.manifest(anchor: "usr_anchor_ana", benExpires: "2999-12-31").write(to: manifest, atomically: true, encoding: .utf8)
        let plan = try await Binary.run(["plan", ".", "--format", "json"], environment: server.environment, in: folder)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("offboarded (org.yaml:8)"), "\(plan.stdout)")
        #expect(!plan.stdout.contains("expired"), "\(plan.stdout)")
        #expect(plan.stdout.contains("Settings > Administration > Users"), "\(plan.stdout)")
        #expect(plan.stdout.contains("without an owner"), "\(plan.stdout)")
        let apply = try await Binary.run(["apply", ".", "--auto-approve"], environment: server.environment, in: folder)
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        #expect(apply.stdout.contains("project#"), "the unkeyed project is addressed by id: \(apply.stdout)")

        // ben's entry expired long ago: removed with the expiry as the reason.
        try Self.manifest(anchor: "usr_anchor_ana", benExpires: "2001-01-31").write(to: manifest, atomically: true, encoding: .utf8)
        let expired = try await Binary.run(["plan", "."], environment: server.environment, in: folder)
        #expect(expired.status == 0, "\(expired.stderr)")
        #expect(expired.stdout.contains("expired 2001-01-31 (org.yaml:14)"), "\(expired.stdout)")
        #expect(expired.stdout.contains(Self.ben), "\(expired.stdout)")
        await server.stop()

        let after = try Self.memberships(database, organization)
        #expect(after["Kept"] == [Self.ana: .owner, Self.ben: .editor])
        #expect(after["Old =cmd"] == [:], "removed from the archived project outside the ownership prefix")
        #expect(after["Loose"] == [Self.ana: .editor], "removed from the project without an external_id")
    }

    @Test func anAnchorNotInTheOrganizationStopsBeforeAnythingIsWritten() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-anchor")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        let organization = try ServedSandbox.seed(Self.seed, database: database)
        try Self.manifest(anchor: "usr_of_another_org", benExpires: "2999-12-31")
            .write(to: folder.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        let before = try Self.memberships(database, organization)
        let server = try await ServedSandbox.start(database: database, key: "anchor-" + UUID().uuidString, in: folder)
        let plan = try await Binary.run(["plan", ".", "--out", "plan.json"], environment: server.environment, in: folder)
        let apply = try await Binary.run(["apply", ".", "--auto-approve"], environment: server.environment, in: folder)
        await server.stop()
        for result in [plan, apply] {
            #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("'Access Org'") && result.stderr.contains("COGRAM_API_KEY"), "\(result.stderr)")
            #expect(result.stderr.contains("usr_of_another_org"), "\(result.stderr)")
            #expect(result.stdout.isEmpty, "\(result.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("plan.json").path))
        #expect(try Self.memberships(database, organization) == before)
    }
}
