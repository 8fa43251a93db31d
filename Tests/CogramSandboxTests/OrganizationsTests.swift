import CogramAPI
import Foundation
import Testing

@testable import CogramSandbox

/// An embedded sandbox serving several organizations in one database, one key each (cli.md, "`--sandbox` with
/// organizations").
@Suite struct OrganizationsTests {
    private func writeSeed(_ seed: SandboxSeed, in directory: URL) throws -> String {
        let file = directory.appendingPathComponent("sandbox-seed.json")
        try JSONEncoder().encode(seed).write(to: file)
        return file.path
    }

    private func withDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cogram-orgs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }

    private func read(_ baseURL: URL, _ key: APIKey) async throws -> (users: [User], projects: [Project]) {
        let configuration = try ClientConfiguration(baseURL: baseURL.absoluteString, apiKey: key, version: "test")
        return try await CogramClient.withClient(configuration) { client in
            (try await client.listUsers(email: nil), try await client.listProjects(status: .all, externalID: nil))
        }
    }

    @Test func eachKeyReadsOnlyItsOwnOrganizationOverHTTP() async throws {
        try await withDirectory { directory in
            let eu = directory.appendingPathComponent("eu")
            try FileManager.default.createDirectory(at: eu, withIntermediateDirectories: true)
            // The seed file names another organization: beside a root, it seeds that root's organization.
            let seedPath = try writeSeed(SandboxSeed(
                organization: "Whatever The File Says",
                users: [.init(email: "eve@acme.example", name: "Eve", role: .admin, id: "usr_eu_anchor")],
                projects: [.init(name: "Lyon Depot", externalID: "eu-lyon")]), in: eu)
            #expect(SandboxOrganizationSeed.besideRoot(eu.path) == seedPath)
            #expect(SandboxOrganizationSeed.besideRoot(directory.path) == nil)
            let organizations = [
                SandboxOrganizationSeed(name: "Acme US", emails: ["ana@acme.example", "ben@acme.example"], anchor: "usr_us_anchor"),
                SandboxOrganizationSeed(name: "Acme EU", seedPath: seedPath, emails: ["ignored@acme.example"], anchor: "usr_eu_anchor"),
            ]
            let database = directory.appendingPathComponent("sandbox.sqlite").path
            let firstKeys = try await Sandbox.withOrganizations(SandboxOptions(databasePath: database), organizations: organizations) {
                baseURL, keys in
                #expect(keys.map(\.name) == ["Acme US", "Acme EU"])
                #expect(keys[0].seededFrom == "the manifests' 2 emails and an admin with the anchor's id")
                #expect(keys[1].seededFrom?.hasSuffix("eu/sandbox-seed.json") == true)
                #expect(keys[0].organizationID != keys[1].organizationID)
                #expect(keys[0].apiKey != keys[1].apiKey)
                // The key never shows in what is printed about it.
                #expect(!"\(keys)".contains(keys[0].apiKey.unredactedValue))

                let us = try await read(baseURL, keys[0].apiKey)
                #expect(us.users.map(\.email).sorted() == ["ana@acme.example", "ben@acme.example", SandboxOrganizationSeed.anchorEmail])
                #expect(us.users.first { $0.id == "usr_us_anchor" }?.role == .admin)
                #expect(us.projects.isEmpty)
                let euRead = try await read(baseURL, keys[1].apiKey)
                #expect(euRead.users.map(\.id) == ["usr_eu_anchor"])
                #expect(euRead.projects.map(\.externalID) == ["eu-lyon"])
                return keys
            }
            // A second run finds both organizations and reuses their keys; seeds are not applied again.
            try await Sandbox.withOrganizations(SandboxOptions(databasePath: database), organizations: organizations.reversed()) {
                _, keys in
                #expect(keys.map(\.name) == ["Acme EU", "Acme US"])
                #expect(keys.map(\.seededFrom) == [nil, nil])
                #expect(keys.map(\.apiKey) == [firstKeys[1].apiKey, firstKeys[0].apiKey])
            }
            // An organization added later is made in the same database, next to the others.
            let store = try SandboxStore(path: database)
            defer { try? store.close() }
            let added = try store.ensureOrganizations([SandboxOrganizationSeed(name: "Acme JP", emails: ["kai@acme.example"])])
            #expect(added.map(\.seededFrom) == ["the manifests' 1 email"])
            #expect(try store.organizations().map(\.name).sorted() == ["Acme EU", "Acme JP", "Acme US"])
        }
    }

    @Test func anUnreadableSeedOrATwiceNamedOrganizationChangesNothing() async throws {
        try await withDirectory { directory in
            let database = directory.appendingPathComponent("sandbox.sqlite").path
            let store = try SandboxStore(path: database)
            defer { try? store.close() }
            let broken = directory.appendingPathComponent("broken.json")
            try Data("{\"organization\": 1}".utf8).write(to: broken)
            #expect(throws: SandboxSeed.Unreadable.self) {
                try store.ensureOrganizations([
                    SandboxOrganizationSeed(name: "Acme US", emails: ["ana@acme.example"]),
                    SandboxOrganizationSeed(name: "Acme EU", seedPath: broken.path),
                ])
            }
            #expect(throws: SandboxError.self) {
                try store.ensureOrganizations([SandboxOrganizationSeed(name: "Acme US"), SandboxOrganizationSeed(name: "Acme US")])
            }
            #expect(try store.organizations().isEmpty)
        }
    }
}
