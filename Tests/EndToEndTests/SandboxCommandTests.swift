import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// The sandbox's key and audit commands, and what only a terminal shows, run as users run them.
@Suite(.serialized) struct SandboxCommandTests {
    /// A created key is printed once and works; `keys list` shows it without the secret; the audit log names the
    /// actor and the key of every write; a revoked key is refused with a message that says what to do.
    @Test func keysCreateListRevokeAndAudit() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            let db = ["--db", org.databasePath]
            let created = try await org.run(["sandbox", "keys", "create"] + db + ["--org", "Northwind Build", "--name", "ci-bot", "--expires-in", "1h"])
            #expect(created.status == 0, "\(created.stderr)")
            let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!key.isEmpty && !key.contains(" "), "one key on stdout: \(created.stdout)")

            try org.write("version: 1\nprojects:\n" + projectYAML("audited", name: "Audited Project"))
            let apply = try await org.run(
                ["apply", ".", "--auto-approve"], environment: ["COGRAM_API_KEY": key, "COGRAM_ACTOR": "alice@example.com"])
            #expect(apply.status == 0, "\(apply.stderr.suffix(1000))")
            #expect(try org.project("audited")?.name == "Audited Project")

            let list = try await org.run(["sandbox", "keys", "list"] + db + ["--org", "Northwind Build"])
            #expect(list.status == 0 && list.stdout.contains("ci-bot"), "\(list.stdout)\n\(list.stderr)")
            #expect(!list.stdout.contains(key) && !list.stderr.contains(key), "keys list never shows a key")

            let audit = try await org.run(["sandbox", "audit"] + db + ["--org", "Northwind Build"])
            #expect(audit.status == 0, "\(audit.stderr)")
            let line = audit.stdout.split(separator: "\n").first { $0.contains("POST") && $0.contains("/v1/projects") }
            #expect(line?.contains("alice@example.com") == true && line?.contains("ci-bot") == true, "\(audit.stdout)")

            let revoked = try await org.run(["sandbox", "keys", "revoke"] + db + ["--org", "Northwind Build", "ci-bot"])
            #expect(revoked.status == 0, "\(revoked.stderr)")
            let refused = try await org.run(["plan", "."], environment: ["COGRAM_API_KEY": key])
            #expect(refused.status == 1, "\(refused.stdout)")
            #expect(refused.stderr.contains("api_key_invalid") && refused.stderr.contains("COGRAM_API_KEY"), "\(refused.stderr)")
        }
    }

    /// A `--fault-fail` rule that cannot be read stops `serve` before it opens anything, saying what form to use.
    @Test(arguments: [
        ("PUT /v1/projects/*/members/usr_1", "a fault rule is METHOD PATH=STATUS"),
        ("PUT /v1/projects/*/members/usr_1=404", "fault rule status 404 must be 409, 500 or 503"),
    ])
    func aFaultRuleThatCannotBeReadIsAUsageError(rule: String, message: String) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cogramctl-rule-\(UUID().uuidString)")
        let result = try await Binary.run(
            ["sandbox", "serve", "--db", folder.appendingPathComponent("s.sqlite").path, "--port", "0", "--fault-fail", rule])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--fault-fail: \(message)"), "\(result.stderr)")
        #expect(result.stderr.contains("for example 'PUT /v1/projects/*/members/usr_1=503'"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path), "nothing was created")
    }

    /// On a terminal, apply shows one progress line with done/total, rate and time left, and import shows how
    /// many member lists it has read; without a terminal neither does (checked in the other suites).
    @Test func progressOnATerminal() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("version: 1\nprojects:\n" + (0..<12).map { projectYAML(String(format: "term-%02d", $0), members: [("ana", "owner")]) }.joined())
            let apply = try await Binary.runOnTerminal(["apply", ".", "--auto-approve"], environment: org.environment, in: org.directory)
            #expect(apply.status == 0, "\(apply.stdout.suffix(1500))")
            #expect(apply.stdout.contains("Applying: ") && apply.stdout.contains("/24 changes · ")
                    && apply.stdout.contains("/s · about ") && apply.stdout.contains("s left"), "\(apply.stdout.suffix(1500))")

            let imported = try await Binary.runOnTerminal(["import"], environment: org.environment, in: org.directory)
            #expect(imported.status == 0, "\(imported.stdout.suffix(1500))")
            #expect(imported.stdout.contains("Reading members: ") && imported.stdout.contains("/12 projects"), "\(imported.stdout.prefix(1500))")
        }
    }
}
