import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// Saved plans and imported manifests hold emails, names and roles: they are written readable by their owner
/// only (0600), whatever the umask the command runs with.
@Suite struct PrivateFilesTests {
    func mode(_ url: URL) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
    }

    @Test func savedPlansAndImportedManifestsAreReadableByTheirOwnerOnly() async throws {
        try await stopping(try await TestOrganization.start(projects: [
            .init(name: "Harbor", externalID: "p-harbor", members: [.init(email: TestOrganization.email("ana"), role: .owner)]),
        ])) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-harbor", name: "Harbor Bridge"))

            let plan = try await org.run(["plan", ".", "--out", "plan.json"])
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(try mode(org.directory.appendingPathComponent("plan.json")) == 0o600)

            let imported = try await org.run(["import", "--out", "imported.yaml"])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(try mode(org.directory.appendingPathComponent("imported.yaml")) == 0o600)
            // Nothing is left beside them: the temporary files were renamed over their targets.
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: org.directory.path).filter { $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty, "\(leftovers)")
        }
    }
}
