import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// `--sandbox[=DB]` as a new user meets it: the spelling, its key, its seed, and saved plans made against it.
@Suite struct EmbeddedSandboxTests {
    private static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cogramctl-embedded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    private static func manifest(emails: [String]) -> String {
        var yaml = "version: 1\nprojects:\n  - external_id: p-one\n    name: One\n    members:\n"
        for (index, email) in emails.enumerated() {
            yaml += "      - email: \(email)\n        role: \(index == 0 ? "owner" : "editor")\n"
        }
        return yaml
    }

    @Test func aSpaceInsteadOfEqualsIsCaughtBeforeTheDatabaseIsReadAsYAML() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.manifest(emails: ["ana@example.com"]).write(
            to: folder.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        // A real database with an unusual name, found by its header.
        let store = try SandboxStore(path: folder.appendingPathComponent("state").path)
        try store.close()
        for (command, database) in [("plan", "db.sqlite"), ("apply", "state"), ("import", "x.db")] {
            let result = try await Binary.run([command, "--sandbox", database, "org.yaml"], in: folder)
            #expect(result.status == 64, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("write --sandbox=\(database)"), "\(command): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(".cogram").path))
        // A manifest after --sandbox is fine.
        let fine = try await Binary.run(["plan", "--sandbox", "org.yaml"], environment: ["NO_COLOR": "1"], in: folder)
        #expect(fine.status == 0, "\(fine.stderr)")
    }

    @Test func embeddedRunsReuseOneKeyNamedApart() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.manifest(emails: ["ana@example.com"]).write(
            to: folder.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        for _ in 0..<3 {
            let plan = try await Binary.run(["plan", "--sandbox=db.sqlite", "org.yaml"], environment: ["NO_COLOR": "1"], in: folder)
            #expect(plan.status == 0, "\(plan.stderr)")
        }
        let apply = try await Binary.run(
            ["apply", "--sandbox=db.sqlite", "org.yaml", "--auto-approve"], environment: ["NO_COLOR": "1"], in: folder)
        #expect(apply.status == 0, "\(apply.stderr)")
        let keys = try await Binary.run(["sandbox", "keys", "list", "--db", "db.sqlite"], in: folder)
        let lines = keys.stdout.split(separator: "\n")
        #expect(lines.count == 1, "\(keys.stdout)")
        #expect(lines.first?.contains("active  embedded") == true, "\(keys.stdout)")
        let audit = try await Binary.run(["sandbox", "audit", "--db", "db.sqlite"], in: folder)
        #expect(audit.stdout.contains("key=embedded"), "\(audit.stdout)")
        let store = try SandboxStore(path: folder.appendingPathComponent("db.sqlite").path)
        defer { try? store.close() }
        let key = try #require(try store.listAPIKeys().first)
        for output in [apply.stdout, apply.stderr, keys.stdout, audit.stdout] {
            #expect(!output.contains("cgk_sandbox_"), "the key is never printed")
        }
        #expect(key.expiresAt == nil)
        let reserved = try await Binary.run(
            ["sandbox", "keys", "create", "--db", "db.sqlite", "--org", "Sandbox", "--name", "embedded"], in: folder)
        #expect(reserved.status == 64)
        #expect(reserved.stderr.contains("reserved for the key of embedded runs"), "\(reserved.stderr)")
    }

    @Test func anEmailMissingFromTheSeedGetsSandboxAdvice() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("org.yaml")
        try Self.manifest(emails: ["ana@example.com"]).write(to: file, atomically: true, encoding: .utf8)
        let first = try await Binary.run(["plan", "--sandbox", "org.yaml"], environment: ["NO_COLOR": "1"], in: folder)
        #expect(first.status == 0, "\(first.stderr)")
        try Self.manifest(emails: ["ana@example.com", "newcomer@example.com"]).write(to: file, atomically: true, encoding: .utf8)
        let second = try await Binary.run(["plan", "--sandbox", "org.yaml"], environment: ["NO_COLOR": "1"], in: folder)
        #expect(second.status == 1)
        #expect(second.stderr.contains("newcomer@example.com"), "\(second.stderr)")
        #expect(second.stderr.contains("re-seed it (delete .cogram/sandbox.sqlite"), "\(second.stderr)")
        #expect(!second.stderr.contains("Cogram app"), "\(second.stderr)")
    }

    @Test func aPlanSavedAgainstASandboxAppliesWithTheHintsCommand() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.manifest(emails: ["ana@example.com", "ben@example.com"]).write(
            to: folder.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        let plan = try await Binary.run(
            ["plan", "--sandbox=dbs/review.sqlite", "org.yaml", "--out", "p.json"], environment: ["NO_COLOR": "1"], in: folder)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect((plan.stdout + plan.stderr).contains("cogramctl apply p.json --sandbox=dbs/review.sqlite"), "the hint: \(plan.stdout)\n\(plan.stderr)")

        // No key, no --sandbox: the plan's api_url names the database, but the key that checks the plan would come
        // from that database; refused, nothing opened.
        let unnamed = try await Binary.run(["apply", "p.json"], environment: ["NO_COLOR": "1"], in: folder)
        #expect(unnamed.status == 3, "\(unnamed.stdout)\n\(unnamed.stderr)")
        #expect(unnamed.stderr.contains("--sandbox=DB"), "\(unnamed.stderr)")
        // The hint's command: the database named on the command line.
        let apply = try await Binary.run(["apply", "p.json", "--sandbox=dbs/review.sqlite"], environment: ["NO_COLOR": "1"], in: folder)
        #expect(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")
        #expect(apply.stderr.contains("database \(folder.standardizedFileURL.path)/dbs/review.sqlite") || apply.stderr.contains("review.sqlite"), "\(apply.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(".cogram/sandbox.sqlite").path),
                "the default database was not used")
        let store = try SandboxStore(path: folder.appendingPathComponent("dbs/review.sqlite").path)
        defer { try? store.close() }
        let organization = try #require(try store.organizations().first)
        let projects = try store.allProjects(organization: organization.id)
        #expect(projects.map(\.externalID) == ["p-one"])

        // Another database named explicitly is refused as another API.
        let other = try await Binary.run(["apply", "p.json", "--sandbox=other.sqlite"], environment: ["NO_COLOR": "1"], in: folder)
        #expect(other.status == 3, "\(other.stderr)")
        #expect(projects.count == 1)
    }

    /// Issue 23.2: an unsigned plan naming `api_url: sandbox:/PATH` does not make apply open or migrate PATH,
    /// with or without COGRAM_PLAN_KEY; a plan signed with COGRAM_PLAN_KEY opens the database it names.
    @Test func anUnverifiedPlanOpensNoDatabaseItNames() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.manifest(emails: ["ana@example.com"]).write(
            to: folder.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        let planKey = ["NO_COLOR": "1", "COGRAM_PLAN_KEY": "plan-key-" + UUID().uuidString]
        let made = try await Binary.run(["plan", "--sandbox=review.sqlite", "org.yaml", "--out", "p.json"], environment: planKey, in: folder)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stderr.contains("Apply exactly this plan with: cogramctl apply p.json\n"), "\(made.stderr)")

        // The victim: an empty file, which SQLite would happily turn into a sandbox database.
        let victim = folder.appendingPathComponent("victim.sqlite")
        try Data().write(to: victim)
        let url = folder.appendingPathComponent("p.json")
        var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        document["api_url"] = "sandbox:" + victim.standardizedFileURL.path
        document["signature"] = nil
        try JSONSerialization.data(withJSONObject: document).write(to: folder.appendingPathComponent("forged.json"))
        for environment in [["NO_COLOR": "1"], planKey] {
            let forged = try await Binary.run(["apply", "forged.json"], environment: environment, in: folder)
            #expect(forged.status == 3, "\(forged.stdout)\n\(forged.stderr)")
            #expect(try Data(contentsOf: victim).isEmpty, "the database the plan names was written")
            #expect(!FileManager.default.fileExists(atPath: victim.path + "-wal"))
            #expect(!forged.stderr.contains("Using the embedded sandbox"), "\(forged.stderr)")
        }

        // Signed with COGRAM_PLAN_KEY, the plan opens the database it names: that key never comes from it.
        let apply = try await Binary.run(["apply", "p.json"], environment: planKey, in: folder)
        #expect(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")

        // What an unverified file says is not printed raw (a newline would start a workflow command).
        try Data(#"{"kind": "x\n::error title=forged::boom", "format_version": "1\n::error::boom"}"#.utf8)
            .write(to: folder.appendingPathComponent("hostile.json"))
        let hostile = try await Binary.run(["apply", "hostile.json"], environment: ["NO_COLOR": "1"], in: folder)
        #expect(hostile.status != 0)
        #expect(!(hostile.stdout + hostile.stderr).contains("\n::error"), "\(hostile.stderr)")
        #expect(!hostile.stderr.contains("forged"), "\(hostile.stderr)")
    }
}
