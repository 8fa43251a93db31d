import CogramImport
import CogramManifest
import CogramTestSupport
import Foundation
import Testing

/// `import --org-root DIR`: where a new organization root may go in a repository that has roots already.
@Suite struct NewOrganizationRootTests {
    /// A repository (a folder with `.git`) with the root of 'Acme US' in `us/`, keyed by COGRAM_API_KEY_US.
    static func repository() throws -> URL {
        let folder = try makeTemporaryDirectory("cogram-new-root")
        let fm = FileManager.default
        try fm.createDirectory(at: folder.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try fm.createDirectory(at: folder.appendingPathComponent("orgs/us/teams"), withIntermediateDirectories: true)
        try "version: 1\norganization:\n  name: Acme US\n  anchor: usr_us_admin\n  api_key_env: COGRAM_API_KEY_US\n"
            .write(to: folder.appendingPathComponent("orgs/us/organization.yaml"), atomically: true, encoding: .utf8)
        try "version: 1\nprojects: []\n".write(to: folder.appendingPathComponent("orgs/us/teams/a.yaml"), atomically: true, encoding: .utf8)
        // A hidden folder is not part of the repository's manifests, as when loading.
        try fm.createDirectory(at: folder.appendingPathComponent(".cogram"), withIntermediateDirectories: true)
        try "organization:\n  name: Hidden\n".write(to: folder.appendingPathComponent(".cogram/x.yaml"), atomically: true, encoding: .utf8)
        return folder
    }

    @Test func aFolderBesideTheRootsIsAccepted() throws {
        let folder = try Self.repository()
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = try NewOrganizationRoot(
            directory: folder.appendingPathComponent("orgs/uk").path, name: "Acme UK", apiKeyEnv: "COGRAM_API_KEY_UK")
        #expect(root.existing.map(\.section?.name) == ["Acme US"])
        #expect(root.existing.first?.file == folder.appendingPathComponent("orgs/us/organization.yaml").path)
        #expect(root.warnings.isEmpty)
        #expect(throws: NewOrganizationRootError.sameAnchor("usr_us_admin", root.existing[0])) {
            try root.check(anchor: "usr_us_admin")
        }
        try root.check(anchor: "usr_uk_admin")
    }

    @Test func aFolderInsideOrAroundARootIsRefusedWithItsLocation() throws {
        let folder = try Self.repository()
        defer { try? FileManager.default.removeItem(at: folder) }
        let us = folder.appendingPathComponent("orgs/us/organization.yaml").path
        for (directory, inside) in [("orgs/us/uk", true), ("orgs/us", true), ("orgs/us/teams", true), ("orgs", false), (".", false)] {
            let path = folder.appendingPathComponent(directory).path
            do {
                _ = try NewOrganizationRoot(directory: path, name: "Acme UK", apiKeyEnv: "COGRAM_API_KEY_UK")
                Issue.record("\(directory) was accepted")
            } catch {
                let message = error.description
                #expect(message.contains("'Acme US' (\(us):3:3)"), "\(message)")
                #expect(message.contains(inside ? "is inside the organization root" : "holds the organization root"), "\(message)")
                #expect(message.contains("roots must not nest"), "\(message)")
            }
        }
    }

    @Test func theSameNameOrKeyVariableIsRefused() throws {
        let folder = try Self.repository()
        defer { try? FileManager.default.removeItem(at: folder) }
        let uk = folder.appendingPathComponent("orgs/uk").path
        #expect(throws: NewOrganizationRootError.self) {
            try NewOrganizationRoot(directory: uk, name: "Acme US", apiKeyEnv: "COGRAM_API_KEY_UK")
        }
        do {
            _ = try NewOrganizationRoot(directory: uk, name: "Acme UK", apiKeyEnv: "COGRAM_API_KEY_US")
            Issue.record("the key variable of Acme US was accepted")
        } catch {
            #expect(error.description.hasPrefix("COGRAM_API_KEY_US is the key variable of 'Acme US' ("), "\(error.description)")
        }
    }

    @Test func aRootWithoutAKeyVariableIsAWarning() throws {
        let folder = try Self.repository()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "version: 1\norganization:\n  name: Acme US\n".write(
            to: folder.appendingPathComponent("orgs/us/organization.yaml"), atomically: true, encoding: .utf8)
        let root = try NewOrganizationRoot(
            directory: folder.appendingPathComponent("orgs/uk").path, name: "Acme UK", apiKeyEnv: "COGRAM_API_KEY_UK")
        #expect(root.warnings.count == 1)
        #expect(root.warnings.first?.hasSuffix("add 'api_key_env: COGRAM_API_KEY_ACME_US' there before the next plan") == true)
    }
}
