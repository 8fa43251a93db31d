#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// `import --org-root DIR` through the built binary against `sandbox serve` holding two organizations: it adds
/// the second organization's root beside the first, and refuses (writing nothing) a folder inside or around a
/// root, a name that has a root, and a key that reads the organization of another root.
@Suite struct ImportOrganizationRootTests {
    @Test func importAddsASecondRootThatPlansBesideTheFirst() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-org-root")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        var ukSeed = SeveralOrganizationsTests.seed("Acme UK", "uk")
        ukSeed.projects = [.init(name: "Thames Lock", externalID: "uk-thames", members: [.init(email: "ana@uk.example", role: .owner)])]
        let seeded = try ServedSandbox.seed([(SeveralOrganizationsTests.seed("Acme US", "us"), "us"), (ukSeed, "uk")], database: database)
        let (usKey, ukKey) = (seeded[0].key, seeded[1].key)
        let repository = folder.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: repository.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repository.appendingPathComponent("orgs/us"), withIntermediateDirectories: true)
        try SeveralOrganizationsTests.manifest("Acme US", "us", variable: "COGRAM_API_KEY_US")
            .write(to: repository.appendingPathComponent("orgs/us/org.yaml"), atomically: true, encoding: .utf8)
        let (server, url) = try await SeveralOrganizationsTests.serve(database: database, in: folder)
        let base = ["COGRAM_API_URL": url, "NO_COLOR": "1"]
        func importing(_ arguments: [String], key: String, variable: String = "COGRAM_API_KEY_ACME_UK") async throws -> Binary.Result {
            try await Binary.run(["import"] + arguments, environment: base.merging([variable: key]) { a, _ in a }, in: repository)
        }
        let inside = try await importing(["--org-root", "orgs/us/uk", "--organization-name", "Acme UK"], key: ukKey)
        let around = try await importing(["--org-root", "orgs", "--organization-name", "Acme UK"], key: ukKey)
        let sameName = try await importing(["--org-root", "orgs/uk", "--organization-name", "Acme US"], key: ukKey, variable: "COGRAM_API_KEY_ACME_US")
        let wrongKey = try await importing(["--org-root", "orgs/uk", "--organization-name", "Acme UK"], key: usKey)
        let noKey = try await Binary.run(
            ["import", "--org-root", "orgs/uk", "--organization-name", "Acme UK"],
            environment: base.merging(["COGRAM_API_KEY": ukKey]) { a, _ in a }, in: repository)
        let refusedWroteNothing = !FileManager.default.fileExists(atPath: repository.appendingPathComponent("orgs/uk").path)
            && !FileManager.default.fileExists(atPath: repository.appendingPathComponent("orgs/us/uk").path)
        let imported = try await importing(["--org-root", "orgs/uk", "--organization-name", "Acme UK"], key: ukKey)
        let plan = try await Binary.run(
            ["plan", "orgs"], environment: base.merging(["COGRAM_API_KEY_US": usKey, "COGRAM_API_KEY_ACME_UK": ukKey]) { a, _ in a },
            in: repository)
        server.send(SIGINT)
        _ = await server.wait(timeout: 30)

        let usFile = "orgs/us/org.yaml:3:3"
        #expect(inside.status == 1 && inside.stderr.contains("--org-root orgs/us/uk is inside the organization root of 'Acme US' (\(usFile))"), "\(inside.stderr)")
        #expect(around.status == 1 && around.stderr.contains("--org-root orgs holds the organization root of 'Acme US' (\(usFile))"), "\(around.stderr)")
        #expect(sameName.status == 1 && sameName.stderr.contains("the repository has a root for this organization already: 'Acme US' (\(usFile))"), "\(sameName.stderr)")
        #expect(wrongKey.status == 1 && wrongKey.stderr.contains("the key read the organization of 'Acme US' (\(usFile))"), "\(wrongKey.stderr)")
        #expect(noKey.status == 1 && noKey.stderr.contains("COGRAM_API_KEY_ACME_UK"), "the new root's key comes from its own variable: \(noKey.stderr)")
        for refused in [inside, around, sameName, wrongKey, noKey] { #expect(!refused.stderr.contains(ukKey) && !refused.stderr.contains(usKey)) }
        #expect(refusedWroteNothing, "a refusal writes nothing")

        #expect(imported.status == 0, "\(imported.stderr)")
        let written = try String(contentsOf: repository.appendingPathComponent("orgs/uk/organization.yaml"), encoding: .utf8)
        #expect(written.contains("organization:\n  name: Acme UK\n  anchor: usr_uk_admin\n  api_key_env: COGRAM_API_KEY_ACME_UK\n"), "\(written)")
        #expect(FileManager.default.fileExists(atPath: repository.appendingPathComponent("orgs/uk/uk-thames.yaml").path))
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("=== Acme UK ===") && plan.stdout.contains("=== Acme US ==="), "\(plan.stdout)")
        #expect(plan.stdout.contains("Acme UK: 0"), "the imported organization plans clean: \(plan.stdout)")
    }
}
