import CogramAPI
import CogramManifest
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

        let after = try sandboxMemberships(database, organization)
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
        let before = try sandboxMemberships(database, organization)
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
        #expect(try sandboxMemberships(database, organization) == before)
    }

    @Test func theJSONPlanByPersonAndTheCIOutputsOfARealPlan() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-by-person")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        _ = try ServedSandbox.seed(Self.seed, database: database)
        let soon = CalendarDay.today().adding(days: 5).description
        try """
            version: 1
            organization:
              name: Access Org
              anchor: usr_anchor_ana
            ownership:
              external_id_prefix: a-
            offboarded:
              - {email: \(Self.cat), date: 2026-01-05}
            projects:
              - external_id: a-kept
                name: Kept
                members:
                  - {email: \(Self.ana), role: owner, expires: \(soon)}
                  - {email: \(Self.ben), role: editor, expires: 2001-01-31}

            """.write(to: folder.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        let outputs = folder.appendingPathComponent("outputs.txt")
        let summary = folder.appendingPathComponent("summary.md")
        let server = try await ServedSandbox.start(database: database, key: "by-person-" + UUID().uuidString, in: folder)
        var environment = server.environment
        environment["GITHUB_OUTPUT"] = outputs.path
        environment["GITHUB_STEP_SUMMARY"] = summary.path
        let plan = try await Binary.run(["plan", ".", "--format", "json"], environment: environment, in: folder)
        await server.stop()
        #expect(plan.status == 0, "\(plan.stderr)")

        let document = try #require(JSONValue(json: Data(plan.stdout.utf8))?.objectValue, "\(plan.stdout)")
        let access = try #require(document["access"]?.arrayValue)
        #expect(access.compactMap { $0.objectValue?["email"] } == [.string(Self.ben), .string(Self.cat)])
        let ben = try #require(access.first?.objectValue?["changes"]?.arrayValue)
        #expect(ben.count == 1)
        let expired = try #require(ben.first?.objectValue)
        #expect(expired["scope"] == .string("project") && expired["project"] == .string("a-kept"))
        #expect(expired["project_name"] == .string("Kept") && expired["project_id"]?.stringValue?.isEmpty == false)
        #expect(expired["from"] == .string("editor") && expired["to"] == .null)
        #expect(expired["reason"] == .string("expired") && expired["location"] == .string("org.yaml:14"))
        #expect(expired["expires"] == .string("2001-01-31"))
        let catChanges = try #require(access.last?.objectValue?["changes"]?.arrayValue)
        let cat = catChanges.compactMap { $0.objectValue }
        #expect(cat.map { $0["project"] } == [.string("a-kept"), .string("zz-foreign"), .null])
        #expect(cat.map { $0["project_name"] } == [.string("Kept"), .string("Old =cmd"), .string("Loose")])
        #expect(cat.allSatisfy { $0["reason"] == .string("offboarded") && $0["location"] == .string("org.yaml:8") && $0["to"] == .null })
        #expect(document["expiring"] == .array([.object([
            "email": .string(Self.ana), "project": .string("a-kept"), "role": .string("owner"), "expires": .string(soon),
            "location": .string("org.yaml:13"),
        ])]))

        #expect(try String(contentsOf: outputs, encoding: .utf8) == "has-changes=true\nchange-count=4\ndestructive=true\naccess-removed=4\n")
        let markdown = try String(contentsOf: summary, encoding: .utf8)
        #expect(markdown.contains("**Access by person** (2 people, 4 changes)"), "\(markdown)")
        #expect(markdown.contains("`project.a-kept` (Kept) | ⚠️ **removed** (was editor) | expired 2001-01-31 `org.yaml:14`"), "\(markdown)")
    }
}
