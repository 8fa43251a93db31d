import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

@Suite struct SeedDiscoveryTests {
    @Test func aSeedBesideTheManifestsOrInTheirParentIsFound() throws {
        let directory = try makeTemporaryDirectory("cogram-seed-discovery")
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifests = directory.appendingPathComponent("org/manifests")
        try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
        let manifest = manifests.appendingPathComponent("projects.yaml")
        try Data("version: 1\n".utf8).write(to: manifest)

        let fromEmails = try SandboxSeed.forNewDatabase(explicit: nil, manifestPaths: [manifest.path], emails: ["b@x.example", "a@x.example"])
        #expect(fromEmails.seed.users.map(\.email) == ["a@x.example", "b@x.example"])
        #expect(fromEmails.seed.users.map(\.name) == ["a", "b"])
        #expect(fromEmails.source == "the manifests' 2 emails")

        let seed = SandboxSeed(organization: "Parent", users: [.init(email: "p@x.example", name: "P", role: .member)])
        try JSONEncoder().encode(seed).write(to: directory.appendingPathComponent("org/sandbox-seed.json"))
        let fromParent = try SandboxSeed.forNewDatabase(explicit: nil, manifestPaths: [manifest.path], emails: [])
        #expect(fromParent.seed.organization == "Parent")
        #expect(fromParent.source.hasSuffix("org/sandbox-seed.json"))

        try Data("{".utf8).write(to: manifests.appendingPathComponent("sandbox-seed.json"))
        #expect(throws: SandboxSeed.Unreadable.self) {
            try SandboxSeed.forNewDatabase(explicit: nil, manifestPaths: [manifests.path], emails: [])
        }
        let explicit = try SandboxSeed.forNewDatabase(
            explicit: directory.appendingPathComponent("org/sandbox-seed.json").path, manifestPaths: [manifests.path], emails: [])
        #expect(explicit.seed.organization == "Parent")
    }
}

@Suite struct ServeKeyTests {
    @Test func givenKeysAreCheckedAndNeverEchoed() throws {
        #expect(try SandboxServeKey.resolve(apiKeyFile: nil, apiKey: nil, environment: [:]) == nil)
        #expect(try SandboxServeKey.resolve(apiKeyFile: nil, apiKey: nil, environment: ["COGRAM_SANDBOX_API_KEY": " sandbox-key-0123456789 \n"]) == "sandbox-key-0123456789")
        #expect(try SandboxServeKey.resolve(apiKeyFile: nil, apiKey: "sandbox-key-0123456789", environment: [:]) == "sandbox-key-0123456789")
        do {
            _ = try SandboxServeKey.resolve(apiKeyFile: nil, apiKey: "short-key", environment: [:])
            Issue.record("a short key was accepted")
        } catch {
            #expect(error.description == "--api-key is 9 characters long; a sandbox key needs at least 16 (omit it to have one generated)")
        }
        do {
            _ = try SandboxServeKey.resolve(apiKeyFile: nil, apiKey: nil, environment: ["COGRAM_SANDBOX_API_KEY": "key with spaces 0123456789"])
            Issue.record("a key with spaces was accepted")
        } catch {
            #expect(error.description == "COGRAM_SANDBOX_API_KEY must be printable ASCII without spaces or control characters")
            #expect(!error.description.contains("0123456789"))
        }
    }
}
