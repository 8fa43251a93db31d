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

/// Manifests bound to their organization, through the built binary against `sandbox serve`: the header, the key
/// from `api_key_env`, the warning for unbound manifests, and a saved plan applied with another organization's key.
@Suite struct OrganizationBindingTests {
    static let ana = "ana@bound.example"
    static let ben = "ben@bound.example"

    static let seed = SandboxSeed(
        organization: "Bound Org",
        users: [.init(email: ana, name: "Ana", role: .admin, id: "usr_bound_ana"), .init(email: ben, name: "Ben", role: .member)],
        projects: [.init(name: "Kept", externalID: "b-kept", members: [.init(email: ana, role: .owner)])])

    static func manifest(organization: String) -> String {
        """
        version: 1
        \(organization)projects:
          - external_id: b-kept
            name: Kept
            members:
              - {email: \(ana), role: owner}
              - {email: \(ben), role: editor}

        """
    }

    static let bound = "organization:\n  name: Bound Org\n  anchor: usr_bound_ana\n  api_key_env: COGRAM_API_KEY_BOUND\n"

    @Test func theKeyComesFromApiKeyEnvOnlyAndEveryRenderingNamesIt() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-bound")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        let organization = try ServedSandbox.seed(Self.seed, database: database)
        try Self.manifest(organization: Self.bound).write(to: folder.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        let key = "bound-" + UUID().uuidString
        let server = try await ServedSandbox.start(database: database, key: key, in: folder)
        let environment = ["COGRAM_API_URL": server.url, "COGRAM_API_KEY_BOUND": key, "NO_COLOR": "1"]
        let header = "Organization: Bound Org (anchor usr_bound_ana)\nAPI: \(server.url), key from COGRAM_API_KEY_BOUND\n"

        let plan = try await Binary.run(["plan", "."], environment: environment, in: folder)
        let drift = try await Binary.run(["drift", "."], environment: environment, in: folder)
        let access = try await Binary.run(["access", "."], environment: environment, in: folder)
        let markdown = try await Binary.run(["plan", ".", "--format", "markdown"], environment: environment, in: folder)
        let json = try await Binary.run(["plan", ".", "--format", "json"], environment: environment, in: folder)
        // COGRAM_API_KEY holds the right key, but the manifests name another variable, which is unset: nothing is sent.
        let missing = try await Binary.run(
            ["plan", ".", "--verbose"], environment: ["COGRAM_API_URL": server.url, "COGRAM_API_KEY": key, "NO_COLOR": "1"], in: folder)
        try JSONEncoder().encode(Self.seed).write(to: folder.appendingPathComponent("seed.json"))
        let sandboxRun = try await Binary.run(
            ["plan", ".", "--sandbox=own.sqlite", "--sandbox-seed", "seed.json"], environment: ["NO_COLOR": "1"], in: folder)
        await server.stop()

        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.hasPrefix(header + "\n"), "\(plan.stdout)")
        #expect(plan.stdout.contains("+ member \(Self.ben) (editor)"), "\(plan.stdout)")
        #expect(!plan.stderr.contains("not bound"), "\(plan.stderr)")
        #expect(drift.status == 2, "\(drift.stderr)")
        #expect(drift.stdout.hasPrefix(header), "\(drift.stdout)")
        #expect(access.status == 0, "\(access.stderr)")
        #expect(access.stdout.hasPrefix(header), "\(access.stdout)")
        #expect(markdown.stdout.hasPrefix("### cogramctl plan\n\nOrganization: Bound Org (anchor usr\\_bound\\_ana)  \nAPI: "), "\(markdown.stdout)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let recorded = try #require(document["organization"] as? [String: Any])
        #expect(recorded["name"] as? String == "Bound Org" && recorded["anchor"] as? String == "usr_bound_ana")
        #expect(recorded["api_key_env"] as? String == "COGRAM_API_KEY_BOUND")
        for result in [plan, drift, access, markdown, json, missing] {
            #expect(!(result.stdout + result.stderr).contains(key), "the key is never printed")
        }

        #expect(missing.status == 1, "\(missing.stdout)\(missing.stderr)")
        #expect(missing.stderr.contains("no Cogram API key in COGRAM_API_KEY_BOUND"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("/v1/"), "no request is sent: \(missing.stderr)")
        #expect(missing.stdout.isEmpty)

        // The embedded sandbox makes its own key: api_key_env is ignored there (the seed carries the anchor's id).
        #expect(sandboxRun.status == 0, "\(sandboxRun.stderr)")
        #expect(sandboxRun.stdout.contains("API: sandbox:"), "\(sandboxRun.stdout)")
        #expect(sandboxRun.stdout.contains(", key from the embedded sandbox\n"), "\(sandboxRun.stdout)")
        #expect(try sandboxMemberships(database, organization)["Kept"] == [Self.ana: .owner], "plans write nothing")
    }

    @Test func unboundManifestsWarnOnceAndSayUnnamedOrganization() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write(Self.manifest(organization: "").replacingOccurrences(of: "bound.example", with: "northwind-build.example"))
            let plan = try await org.run(["plan", "."])
            #expect(plan.stdout.hasPrefix("Organization: unnamed organization\nAPI: "), "\(plan.stdout)")
            #expect(plan.stderr.components(separatedBy: "not bound to an organization").count == 2, "warned once: \(plan.stderr)")
            let markdown = try await org.run(["plan", ".", "--format", "markdown"])
            #expect(markdown.stdout.contains("_Not bound to an organization: nothing checks"), "\(markdown.stdout)")
        }
    }

    @Test func aSavedPlanAppliedWithAnotherOrganizationsKeyStopsBeforeAnyWrite() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-bound-saved")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        let bound = try ServedSandbox.seed(Self.seed, database: database)
        let other = try ServedSandbox.seed(SandboxSeed(
            organization: "Other Org",
            users: [.init(email: Self.ana, name: "Ana", role: .admin), .init(email: Self.ben, name: "Ben", role: .member)],
            projects: [.init(name: "Kept", externalID: "b-kept", members: [.init(email: Self.ana, role: .owner)])]),
            database: database)
        let (boundKey, otherKey) = ("bound-" + UUID().uuidString, "other-" + UUID().uuidString)
        do {
            let store = try SandboxStore(path: database)
            defer { try? store.close() }
            _ = try store.createAPIKey(organization: bound, name: "bound", value: boundKey)
            _ = try store.createAPIKey(organization: other, name: "other", value: otherKey)
        }
        try Self.manifest(organization: Self.bound).write(to: folder.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        // Two organizations in one database: served without a key of its own, with the two keys made above.
        let server = try BackgroundBinary(
            ["sandbox", "serve", "--db", database, "--port", "0", "--rate-limit", "100000"], environment: ["NO_COLOR": "1"], in: folder)
        let listening = await server.wait(timeout: 60) { server.stderr.contains("listening on http://") }
        let url = try #require(server.stderr.split(separator: "\n").first { $0.contains("listening on http://") }
            .flatMap { line in line.split(separator: " ").first { $0.hasPrefix("http://") } }.map(String.init), "\(server.stderr)")
        #expect(listening)
        func environment(_ key: String) -> [String: String] {
            ["COGRAM_API_URL": url, "COGRAM_API_KEY_BOUND": key, "COGRAM_PLAN_KEY": "shared-plan-secret", "NO_COLOR": "1"]
        }

        let plan = try await Binary.run(["plan", ".", "--out", "plan.json"], environment: environment(boundKey), in: folder)
        let wrong = try await Binary.run(["apply", "plan.json"], environment: environment(otherKey), in: folder)
        let missing = try await Binary.run(
            ["apply", "plan.json"], environment: ["COGRAM_API_URL": url, "COGRAM_API_KEY": boundKey, "COGRAM_PLAN_KEY": "shared-plan-secret"],
            in: folder)
        let beforeRight = try sandboxMemberships(database, other)
        let right = try await Binary.run(["apply", "plan.json"], environment: environment(boundKey), in: folder)
        server.send(SIGINT)
        _ = await server.wait(timeout: 30)

        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(wrong.status == 1, "\(wrong.stdout)\(wrong.stderr)")
        #expect(wrong.stderr.contains("'Bound Org'") && wrong.stderr.contains("COGRAM_API_KEY_BOUND"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains("usr_bound_ana"), "\(wrong.stderr)")
        #expect(!wrong.stdout.contains("Apply complete"), "\(wrong.stdout)")
        #expect(beforeRight["Kept"] == [Self.ana: .owner], "nothing was written to the other organization")
        #expect(missing.status == 1 && missing.stderr.contains("COGRAM_API_KEY_BOUND"), "the recorded variable, not COGRAM_API_KEY: \(missing.stderr)")
        #expect(right.status == 0, "\(right.stdout)\(right.stderr)")
        #expect(try sandboxMemberships(database, bound)["Kept"] == [Self.ana: .owner, Self.ben: .editor])
        #expect(try sandboxMemberships(database, other)["Kept"] == [Self.ana: .owner])
    }
}

/// Where the API refuses to remove a member from an archived project (cli.md, "Archived projects"): played by a
/// `--fault-fail` rule with 409, the refusal the contract gives for additions to archived projects.
@Suite struct ArchivedRefusalEndToEndTests {
    static let ana = "ana@archived.example"
    static let cat = "cat@archived.example"

    @Test func aRefusedRemovalFromAnArchivedProjectIsAWarningOnApplyPlanAndAccess() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-archived-refusal")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        let organization = try ServedSandbox.seed(SandboxSeed(
            organization: "Archive Org",
            users: [.init(email: Self.ana, name: "Ana", role: .admin, id: "usr_archive_ana"), .init(email: Self.cat, name: "Cat", role: .member)],
            projects: [
                .init(name: "Kept", externalID: "r-kept", members: [.init(email: Self.ana, role: .owner), .init(email: Self.cat, role: .viewer)]),
                .init(name: "Old", externalID: "zz-old", status: .archived, members: [.init(email: Self.cat, role: .editor)]),
            ]), database: database)
        let archivedID = try {
            let store = try SandboxStore(path: database)
            defer { try? store.close() }
            return try #require(try store.allProjects(organization: organization).first { $0.name == "Old" }?.id)
        }()
        try """
            version: 1
            organization:
              name: Archive Org
              anchor: usr_archive_ana
            offboarded:
              - {email: \(Self.cat), date: 2026-01-05}
            projects:
              - external_id: r-kept
                name: Kept
                members:
                  - {email: \(Self.ana), role: owner}

            """.write(to: folder.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        let server = try await ServedSandbox.start(
            database: database, key: "archived-" + UUID().uuidString,
            arguments: ["--fault-fail", "DELETE /v1/projects/\(archivedID)/members/*=409"], in: folder)
        let apply = try await Binary.run(["apply", ".", "--auto-approve"], environment: server.environment, in: folder)
        let again = try await Binary.run(["apply", ".", "--auto-approve"], environment: server.environment, in: folder)
        let plan = try await Binary.run(["plan", "."], environment: server.environment, in: folder)
        let access = try await Binary.run(["access", ".", "--format", "json"], environment: server.environment, in: folder)
        await server.stop()

        #expect(apply.status == 0, "a refusal from an archived project is not a failure: \(apply.stdout)\(apply.stderr)")
        #expect(apply.stdout.contains("kept        remove_member project.zz-old.member.\(Self.cat) (warning: Cogram refused"), "\(apply.stdout)")
        #expect(apply.stdout.contains("1 kept by Cogram (warnings)."), "\(apply.stdout)")
        #expect(again.status == 0, "every later apply too: \(again.stdout)\(again.stderr)")
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("1 offboarding removal is from an archived project (project.zz-old.member.\(Self.cat))"), "\(plan.stdout)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(access.stdout.utf8)) as? [String: Any])
        let offboarded = try #require(document["offboarded_with_access"] as? [Any])
        #expect("\(offboarded)".contains(Self.cat) && "\(offboarded)".contains("zz-old"), "\(access.stdout)")

        let store = try SandboxStore(path: database)
        defer { try? store.close() }
        let old = try store.members(organization: organization, projectID: archivedID).map(\.email)
        #expect(old == [Self.cat], "the archived project keeps the membership the API refused to remove")
        let kept = try #require(try store.allProjects(organization: organization).first { $0.name == "Kept" })
        #expect(try store.members(organization: organization, projectID: kept.id).map(\.email) == [Self.ana])
    }
}
