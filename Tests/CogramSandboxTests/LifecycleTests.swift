import CogramAPI
import Foundation
import Synchronization
import Testing

@testable import CogramSandbox

/// `Sandbox.run`: the server is a child task of the caller.
@Suite struct StructuredSandboxTests {
    @Test func runReturnsOnlyOnceTheServerHasStopped() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let port = try await Sandbox.run(SandboxOptions(databasePath: path, seed: testSeed())) { running in
            let key = try #require(running.apiKey)
            let answer = try await rawHTTP(port: running.port, rawRequestHead("GET", "/v1/users", key: key), timeoutSeconds: 20)
            #expect(answer.status == 200)
            return running.port
        }
        await #expect(throws: RawHTTPError.self) {
            _ = try await rawHTTP(port: port, rawRequestHead("GET", "/v1/users", key: "x"), timeoutSeconds: 5)
        }
    }

    @Test func cancellingTheCallerStopsTheServer() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let seen = PortBox()
        let caller = Task {
            try await Sandbox.run(SandboxOptions(databasePath: path, seed: testSeed())) { running in
                seen.port = running.port
                try await Task.sleep(for: .seconds(600))
            }
        }
        let clock = ContinuousClock()
        let began = clock.now
        while seen.port == nil, clock.now - began < .seconds(30) { try await Task.sleep(for: .milliseconds(20)) }
        let port = try #require(seen.port)
        caller.cancel()
        let result = await caller.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(clock.now - began < .seconds(60), "the cancelled run returned instead of serving on")
        await #expect(throws: RawHTTPError.self) {
            _ = try await rawHTTP(port: port, rawRequestHead("GET", "/v1/users", key: "x"), timeoutSeconds: 5)
        }
    }
}

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

final class PortBox: Sendable {
    private let value = Mutex<Int?>(nil)
    var port: Int? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}
