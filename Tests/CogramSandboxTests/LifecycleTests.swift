import CogramAPI
import Foundation
import Testing

@testable import CogramSandbox

/// `Sandbox.withSandbox`: the scoped run the CLI's `--sandbox` uses.
@Suite struct ScopedSandboxTests {
    struct BodyFailed: Error, Equatable {}

    @Test func bodyGetsAWorkingKeyAndTheSandboxStopsAfterwards() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let port = try await Sandbox.withSandbox(SandboxOptions(databasePath: path, seed: testSeed())) { baseURL, key in
            let configuration = try ClientConfiguration(baseURL: baseURL.absoluteString, apiKey: APIKey(key), version: "test")
            let projects = try await CogramClient.withClient(configuration) {
                try await $0.listProjects(status: .all, externalID: nil)
            }
            #expect(projects.map(\.name).sorted() == ["Old One", "Seeded Project"])
            return try #require(baseURL.port)
        }
        // Stopped: nothing listens on the port any more.
        await #expect(throws: RawHTTPError.self) {
            _ = try await rawHTTP(port: port, rawRequestHead("GET", "/v1/projects", key: "x"), timeoutSeconds: 5)
        }
    }

    @Test func theBodysErrorIsRethrownAndTheSandboxStillStops() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let seen = PortBox()
        await #expect(throws: BodyFailed()) {
            try await Sandbox.withSandbox(SandboxOptions(databasePath: path, seed: testSeed())) { baseURL, _ in
                seen.port = baseURL.port
                throw BodyFailed()
            }
        }
        let port = try #require(seen.port)
        await #expect(throws: RawHTTPError.self) {
            _ = try await rawHTTP(port: port, rawRequestHead("GET", "/v1/projects", key: "x"), timeoutSeconds: 5)
        }
        // The database was closed: it opens again.
        let store = try SandboxStore(path: path)
        try store.close()
    }

    @Test func aFailedStartIsTypedAndRemovesTheDatabaseItCreated() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        // No seed and an empty database: there is no organization to make a key for.
        do {
            _ = try await Sandbox.withSandbox(SandboxOptions(databasePath: path)) { _, _ in Issue.record("the body ran") }
            Issue.record("no error")
        } catch let error as SandboxError {
            guard case .embeddedStartFailed(let reported, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(reported == path)
            #expect(reason.contains("no organization"))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

final class PortBox: @unchecked Sendable {
    // Written once by the body, read after it returned.
    var port: Int?
}

func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}
