import CogramSandbox
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
        #expect((plan.stdout + plan.stderr).contains("cogramctl apply p.json"), "the hint: \(plan.stdout)\n\(plan.stderr)")

        // No key, no --sandbox: the plan's api_url names the database.
        let apply = try await Binary.run(["apply", "p.json"], environment: ["NO_COLOR": "1"], in: folder)
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
}
