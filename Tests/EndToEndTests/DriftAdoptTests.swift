import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// `drift --adopt` through the built binary against `sandbox serve`: changes made through the API after the
/// manifests were applied, then `drift` → `drift --adopt` → `plan` with no change.
@Suite struct DriftAdoptEndToEndTests {
    static let ana = "ana@adopt.example"
    static let ben = "ben@adopt.example"
    static let cat = "cat@adopt.example"

    static let seed = SandboxSeed(
        organization: "Adopt Org",
        users: [
            .init(email: ana, name: "Ana", role: .admin, id: "usr_anchor_adopt"),
            .init(email: ben, name: "Ben", role: .member), .init(email: cat, name: "Cat", role: .member),
        ],
        projects: [
            .init(name: "One", externalID: "d-one", members: [.init(email: ana, role: .owner), .init(email: ben, role: .editor)]),
            .init(name: "Two", externalID: "d-two", members: [.init(email: ana, role: .owner)]),
            .init(name: "Crew", externalID: "d-crew", members: [.init(email: ana, role: .owner)]),
        ])

    static let organization = """
        # The organization: kept by hand.
        version: 1
        organization:
          name: Adopt Org
          anchor: usr_anchor_adopt
        ownership:
          external_id_prefix: d-
        users:
          - email: \(ana)
            role: admin
          - email: \(ben)   # site lead
            role: member
        groups:
          - name: leads
            members:
              - email: \(ana)
                role: owner

        """

    static func project(_ externalID: String, _ name: String, members: String) -> String {
        "version: 1\nprojects:\n  - external_id: \(externalID)\n    name: \(name)\n    members:\n" + members
    }

    @Test func changesMadeThroughTheAPIAreAdoptedAndThePlanIsEmptyAfterwards() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-adopt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        _ = try ServedSandbox.seed(Self.seed, database: database)
        let manifests = folder.appendingPathComponent("m")
        try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
        let files = [
            "organization.yaml": Self.organization,
            "d-one.yaml": Self.project("d-one", "One", members: "      - email: \(Self.ana)\n        role: owner\n      - email: \(Self.ben)\n        role: editor\n"),
            "d-two.yaml": Self.project("d-two", "Two", members: "      - email: \(Self.ana)\n        role: owner\n"),
            "d-crew.yaml": Self.project("d-crew", "Crew", members: "      - group: leads\n"),
        ]
        for (name, text) in files { try text.write(to: manifests.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let server = try await ServedSandbox.start(database: database, key: "adopt-" + UUID().uuidString, in: folder)
        try await withCleanUp {
            try await Self.driftAdoptPlan(server: server, folder: folder, files: files)
        } cleanUp: {
            await server.stop()
        }
    }

    static func driftAdoptPlan(server: ServedSandbox, folder: URL, files: [String: String]) async throws {
        let manifests = folder.appendingPathComponent("m")
        let env = server.environment

        let clean = try await Binary.run(["drift", "m"], environment: env, in: folder)
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")

        // Someone works in the app: renames d-one, demotes ben there and adds cat, archives d-two, creates d-new,
        // and makes ben an admin.
        let configuration = try ClientConfiguration(baseURL: server.url, apiKey: APIKey(server.key), version: "test")
        try await CogramClient.withClient(configuration) { client in
            let projects = try await client.listProjects(status: .all, externalID: nil)
            let users = try await client.listUsers(email: nil)
            func id(_ externalID: String) throws -> String { try #require(projects.first { $0.externalID == externalID }?.id) }
            func user(_ email: String) throws -> String { try #require(users.first { $0.email == email }?.id) }
            _ = try await client.updateProject(id: id("d-one"), ProjectPatch(name: "One, renamed in the app"))
            _ = try await client.putMember(projectID: id("d-one"), userID: user(Self.ben), role: .viewer)
            _ = try await client.putMember(projectID: id("d-one"), userID: user(Self.cat), role: .editor)
            _ = try await client.archiveProject(id: id("d-two"))
            let created = try await client.createProject(ProjectCreate(name: "New in the app", externalID: "d-new"), retrySafe: true)
            _ = try await client.putMember(projectID: created.id, userID: user(Self.cat), role: .owner)
            _ = try await client.updateUser(id: user(Self.ben), UserPatch(role: .admin))
        }

        let drift = try await Binary.run(["drift", "m"], environment: env, in: folder)
        #expect(drift.status == 2, "\(drift.stderr)")
        #expect(drift.stdout.contains("Or write Cogram's values into the manifests: cogramctl drift --adopt m"), "\(drift.stdout)")

        let dryRun = try await Binary.run(["drift", "m", "--adopt", "--dry-run"], environment: env, in: folder)
        #expect(dryRun.status == 0, "\(dryRun.stdout)\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("-    name: One\n+    name: \"One, renamed in the app\"\n"), "\(dryRun.stdout)")
        #expect(dryRun.stderr.contains("Dry run: nothing was written."))
        #expect(!FileManager.default.fileExists(atPath: manifests.appendingPathComponent("d-new.yaml").path))
        #expect(try String(contentsOf: manifests.appendingPathComponent("d-one.yaml"), encoding: .utf8) == files["d-one.yaml"])

        let adopt = try await Binary.run(["drift", "m", "--adopt"], environment: env, in: folder)
        #expect(adopt.status == 0, "\(adopt.stdout)\(adopt.stderr)")
        #expect(adopt.stdout == dryRun.stdout)
        #expect(adopt.stderr.contains("Adopted 6 differences in 4 files (1 new)."), "\(adopt.stderr)")
        let read = { (name: String) in try String(contentsOf: manifests.appendingPathComponent(name), encoding: .utf8) }
        #expect(try read("d-one.yaml") == Self.project("d-one", "\"One, renamed in the app\"", members:
            "      - email: \(Self.ana)\n        role: owner\n      - email: \(Self.ben)\n        role: viewer\n      - email: \(Self.cat)\n        role: editor\n"))
        #expect(try read("d-two.yaml") == files["d-two.yaml"]!.replacingOccurrences(of: "name: Two\n", with: "name: Two\n    archived: true\n"))
        #expect(try read("organization.yaml") == Self.organization.replacingOccurrences(of: "   # site lead\n    role: member", with: "   # site lead\n    role: admin"))
        #expect(try read("d-new.yaml").hasSuffix("version: 1\nprojects:\n  - external_id: d-new\n    name: New in the app\n    members:\n      - email: \(Self.cat)\n        role: owner\n"))

        let plan = try await Binary.run(["plan", "m"], environment: env, in: folder)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("No changes. Cogram matches the manifests."), "\(plan.stdout)")

        // A role that a group grants cannot be adopted without changing every project of the group: listed, exit 2.
        try await CogramClient.withClient(configuration) { client in
            let projects = try await client.listProjects(status: .all, externalID: "d-crew")
            let users = try await client.listUsers(email: Self.ana)
            _ = try await client.putMember(projectID: try #require(projects.first?.id), userID: try #require(users.first?.id), role: .editor)
        }
        let left = try await Binary.run(["drift", "m", "--adopt"], environment: env, in: folder)
        #expect(left.status == 2, "\(left.stdout)\(left.stderr)")
        #expect(left.stdout.isEmpty)
        #expect(left.stderr.contains("Nothing to adopt.\nNot adopted (1):\n  member_role project.d-crew.member.\(Self.ana) role: manifest \"owner\", cogram \"editor\""), "\(left.stderr)")
        #expect(left.stderr.contains("granted by group leads"))
        #expect(try read("d-crew.yaml") == files["d-crew.yaml"])
    }
}
