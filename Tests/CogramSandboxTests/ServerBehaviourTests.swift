import CogramAPI
import CogramTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CogramSandbox

@Suite struct RoutingTests {
    @Test func unknownRouteAndWrongMethod() async throws {
        try await withSandbox { h in
            let unknown = try await h.send(.get, "/v1/widgets")
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "not_found")
            #expect(unknown.headers[.contentType] == "application/json")
            let trailing = try await h.send(.get, "/v1/projects/")
            #expect(trailing.status == .notFound)

            let wrong = try await h.send(.put, "/v1/projects", json: "{}")
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.errorCode == "method_not_allowed")
            #expect(wrong.headers[.allow] == "GET, POST")
            let getUser = try await h.send(.get, "/v1/users/usr_x")
            #expect(getUser.status == .methodNotAllowed)
            #expect(getUser.headers[.allow] == "PATCH")
            let postDocs = try await h.send(.post, "/v1/docs", json: "{}")
            #expect(postDocs.status == .methodNotAllowed)
        }
    }

    @Test func bodyLimitIsPayloadTooLarge() async throws {
        try await withSandbox(configure: { $0.maxBodyBytes = 256 }) { h in
            let big = #"{"name":"x","description":"\#(String(repeating: "d", count: 400))"}"#
            let response = try await h.send(.post, "/v1/projects", json: big)
            #expect(response.status == .contentTooLarge)
            #expect(response.errorCode == "payload_too_large")
            let small = try await h.send(.post, "/v1/projects", json: #"{"name":"fits"}"#)
            #expect(small.status == .created)
        }
    }

    @Test func openAPIDocumentIsServedByteForByteFromSchemas() async throws {
        try await withSandbox { h in
            let response = try await h.send(.get, "/v1/openapi.yaml", authorization: "")
            #expect(response.status == .ok)
            let expected = try Data(contentsOf: Repository.url("schemas/cogram-api.v1.openapi.yaml"))
            #expect(response.data == expected, "Sources/CogramSandbox/Resources/ holds a stale copy: cp schemas/cogram-api.v1.openapi.yaml Sources/CogramSandbox/Resources/")
            #expect(response.headers[.xRateLimitLimit] == nil)
        }
    }

    @Test func docsPageIsSelfContained() async throws {
        try await withSandbox { h in
            let response = try await h.send(.get, "/v1/docs", authorization: "")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            let html = response.text
            #expect(html.contains("/v1/projects/{id}/members/{user_id}"))
            #expect(html.contains("rate_limit_exceeded"))
            #expect(!html.contains("<script"))
            #expect(!html.contains("src=\"http"))
            #expect(!html.contains("<link"))
        }
    }

    @Test func shutdownWithAnOpenConnectionFinishes() async throws {
        let path = temporaryDatabasePath()
        let sandbox = try await Sandbox.start(SandboxOptions(databasePath: path, seed: testSeed()))
        let client = TestClient(host: "127.0.0.1", port: sandbox.port)
        client.connect()
        #expect(try await client.get("/v1/docs").status == .ok)
        // The keep-alive connection is still open: shutdown must close it rather than wait for it.
        try await sandbox.shutdown()
        try? await client.shutdown()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test func startFailsWhenThePortIsTaken() async throws {
        try await withSandbox { h in
            let options = SandboxOptions(databasePath: temporaryDatabasePath(), port: h.sandbox.port)
            await #expect(throws: SandboxError.self) {
                _ = try await Sandbox.start(options)
            }
        }
    }

    @Test func apiKeyWithoutSeedNeedsExactlyOneOrganization() async throws {
        await #expect(throws: SandboxError.organizationAmbiguous(count: 0)) {
            _ = try await Sandbox.start(SandboxOptions(databasePath: temporaryDatabasePath(), apiKey: "k"))
        }
    }

    @Test func shutdownStopsListening() async throws {
        let path = temporaryDatabasePath()
        let sandbox = try await Sandbox.start(SandboxOptions(databasePath: path, seed: testSeed()))
        let port = sandbox.port
        #expect(port > 0)
        #expect(sandbox.baseURL == "http://127.0.0.1:\(port)")
        try await sandbox.shutdown()
        try await sandbox.shutdown()
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(2)))
        client.connect()
        await #expect(throws: (any Error).self) {
            _ = try await client.get("/v1/docs")
        }
        try? await client.shutdown()
    }
}

@Suite struct IsolationTests {
    @Test func keysOfOneOrganizationCannotSeeAnother() async throws {
        try await withSandbox { h in
            let other = try h.store.seed(testSeed(organization: "Other Org"))
            #expect(other != h.sandbox.organization!.id)
            let otherKey = try h.store.createAPIKey(organization: "Other Org", name: "b")
            // Both organizations seeded a project with the fixed id prj_fixed01: each key sees its own.
            let renamed = try await h.send(.patch, "/v1/projects/prj_fixed01", json: #"{"name":"Mine"}"#, key: otherKey)
            #expect(renamed.status == .ok)
            let mine: Project = try await h.send(.get, "/v1/projects/prj_fixed01").decode()
            #expect(mine.name == "Seeded Project")

            let created: Project = try await h.send(.post, "/v1/projects", json: #"{"name":"B only","external_id":"b-only"}"#, key: otherKey).decode()
            #expect(try await h.send(.get, "/v1/projects/\(created.id)").status == .notFound)
            #expect(try await h.send(.patch, "/v1/projects/\(created.id)", json: #"{"name":"x"}"#).status == .notFound)
            #expect(try await h.send(.delete, "/v1/projects/\(created.id)").status == .notFound)
            #expect(try await h.send(.get, "/v1/projects/\(created.id)/members").status == .notFound)
            let list: Page<Project> = try await h.send(.get, "/v1/projects?status=all").decode()
            #expect(!list.items.contains { $0.id == created.id })
            // The same external id is free in another organization.
            #expect(try await h.send(.post, "/v1/projects", json: #"{"name":"A too","external_id":"b-only"}"#).status == .created)

            let otherUser = try #require(try h.store.allUsers(organization: "Other Org").first?.id)
            #expect(try await h.send(.patch, "/v1/users/\(otherUser)", json: #"{"role":"guest"}"#).status == .notFound)
            #expect(try await h.send(.put, "/v1/projects/prj_fixed01/members/\(otherUser)", json: #"{"role":"viewer"}"#).status == .notFound)
            let users: Page<User> = try await h.send(.get, "/v1/users").decode()
            #expect(!users.items.contains { $0.id == otherUser })
        }
    }
}

@Suite struct RateLimitTests {
    @Test func headersCountDownThen429WithRetryAfter() async throws {
        try await withSandbox(configure: { $0.rateLimitPerMinute = 3 }) { h in
            var remaining: [String?] = []
            for _ in 0..<3 {
                let response = try await h.send(.get, "/v1/users")
                #expect(response.status == .ok)
                #expect(response.headers[.xRateLimitLimit] == "3")
                let reset = try #require(response.headers[.xRateLimitReset].flatMap(Int.init))
                #expect((1...60).contains(reset))
                remaining.append(response.headers[.xRateLimitRemaining])
            }
            #expect(remaining == ["2", "1", "0"])
            let limited = try await h.send(.get, "/v1/users")
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorCode == "rate_limit_exceeded")
            let retryAfter = try #require(limited.headers[.retryAfter].flatMap(Int.init))
            #expect((1...60).contains(retryAfter))
            #expect(limited.headers[.xRateLimitRemaining] == "0")
            // Another key has its own budget.
            let other = try h.store.createAPIKey(organization: h.sandbox.organization!.id, name: "second")
            #expect(try await h.send(.get, "/v1/users", key: other).status == .ok)
        }
    }

    @Test func errorsCarryRateLimitHeadersToo() async throws {
        try await withSandbox { h in
            let response = try await h.send(.get, "/v1/projects/prj_missing")
            #expect(response.status == .notFound)
            #expect(response.headers[.xRateLimitLimit] == "1000")
            #expect(response.headers[.xRateLimitRemaining] != nil)
        }
    }

    @Test func fixedWindowRefills() {
        let limiter = RateLimiter(limit: 2, windowMilliseconds: 1000)
        #expect(limiter.take("k", now: 0).allowed)
        #expect(limiter.take("k", now: 10).remaining == 0)
        let denied = limiter.take("k", now: 500)
        #expect(!denied.allowed && denied.resetSeconds == 1)
        #expect(limiter.take("other", now: 500).allowed)
        #expect(limiter.take("k", now: 1000).allowed)
    }
}
