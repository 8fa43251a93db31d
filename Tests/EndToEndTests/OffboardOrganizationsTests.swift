import CogramTestSupport
import Foundation
import Testing

/// `offboard` over several organization roots (cli.md, "Third round: precise rules": offboard works offline on
/// the roots it loads, `--org` to choose): each root gets its own edit and its own `offboarded:` entry.
@Suite struct OffboardOrganizationsTests {
    static let us = "ben.okafor@northwind-us.example"
    static let uk = "priya.shah@northwind-uk.example"

    /// A copy of examples/organizations (two roots) in a new folder with `.git`.
    func copyOfExample() throws -> URL {
        let directory = try makeTemporaryDirectory("cogram-offboard-orgs")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Repository.url("examples/organizations"), to: directory.appendingPathComponent("organizations"))
        return directory
    }

    /// Every file of one root, by name.
    func files(_ directory: URL, _ root: String) throws -> [String: Data] {
        let folder = directory.appendingPathComponent("organizations/\(root)")
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            result[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return result
    }

    @Test func eachRootIsEditedOnItsOwnAndOrgChoosesRoots() async throws {
        let directory = try copyOfExample()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (us, uk) = (try files(directory, "us"), try files(directory, "uk"))

        let dry = try await Binary.run(["offboard", "organizations", "--user", Self.us, "--user", Self.uk, "--dry-run"], in: directory)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("--- a/organizations/us/projects.yaml") && dry.stdout.contains("--- a/organizations/uk/projects.yaml"), "\(dry.stdout)")
        #expect(dry.stderr.contains("Dry run: nothing was written."))
        #expect(try files(directory, "us") == us && files(directory, "uk") == uk)

        let unknown = try await Binary.run(["offboard", "organizations", "--user", Self.uk, "--org", "Northwind Build FR"], in: directory)
        #expect(unknown.status == 1, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("Northwind Build FR"))
        #expect(try files(directory, "us") == us && files(directory, "uk") == uk)

        // Only the UK root: the US files keep every byte.
        let one = try await Binary.run(["offboard", "organizations", "--user", Self.uk, "--org", "Northwind Build UK"], in: directory)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(!one.stdout.contains("organizations/us/"))
        #expect(try files(directory, "us") == us)
        let ukAfter = try files(directory, "uk")
        #expect(ukAfter != uk)
        let ukText = ukAfter.values.map { String(decoding: $0, as: UTF8.self) }.joined()
        #expect(ukText.contains("offboarded:") && ukText.contains("- email: \(Self.uk)"))
        #expect(!ukText.contains("      - email: \(Self.uk)\n        role:"), "the project entries are gone")

        // Both roots: the UK one has nothing left to do, the US one gets its own entry.
        let both = try await Binary.run(["offboard", "organizations", "--user", Self.uk], in: directory)
        #expect(both.status == 0, "\(both.stderr)")
        #expect(both.stderr.contains("Northwind Build UK: \(Self.uk) is already offboarded"), "\(both.stderr)")
        #expect(both.stderr.contains("Northwind Build US: Offboarded \(Self.uk)"), "\(both.stderr)")
        #expect(try files(directory, "uk") == ukAfter)
        let usText = try files(directory, "us").values.map { String(decoding: $0, as: UTF8.self) }.joined()
        #expect(usText.contains("offboarded:") && usText.contains("- email: \(Self.uk)"))

        let validate = try await Binary.run(["validate", "organizations"], in: directory)
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
    }
}
