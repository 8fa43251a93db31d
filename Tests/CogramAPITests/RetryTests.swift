import CogramAPI
import Foundation
import Testing

@Suite("Retries")
struct RetryTests {
    enum Method: String, CaseIterable, Sendable {
        case get = "GET", put = "PUT", patch = "PATCH", delete = "DELETE"

        func call(_ client: CogramClient) async throws {
            switch self {
            case .get: _ = try await client.getProject(id: "prj_1")
            case .put: _ = try await client.putMember(projectID: "prj_1", userID: "usr_1", role: .viewer)
            case .patch: _ = try await client.updateProject(id: "prj_1", ProjectPatch(name: "n"))
            case .delete: _ = try await client.archiveProject(id: "prj_1")
            }
        }

        var success: Reply { self == .put ? .json(200, Fixture.member) : .json(200, Fixture.project(1)) }
    }

    @Test(arguments: Method.allCases, [500, 502, 503, 504])
    func serverErrorsAreRetriedForIdempotentMethods(method: Method, status: Int) async throws {
        try await ScriptedServer.with(replies: [.error(status, "internal_error", "boom"), .error(status, "internal_error", "boom"), method.success]) { server in
            let count = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { client in
                try await method.call(client)
                return await client.requestCount
            }
            #expect(server.requests.count == 3)
            #expect(server.requests.allSatisfy { $0.method == method.rawValue })
            #expect(count.retries == 2)
            #expect(count.total == 3)
        }
    }

    @Test func retriesStopAtMaxRetries() async throws {
        try await ScriptedServer.with(replies: [.error(503, "unavailable", "down for maintenance")]) { server in
            let error = await #expect(throws: CogramAPIError.self) {
                try await CogramClient.withClient(try Fixture.configuration(server.baseURL, maxRetries: 2)) {
                    try await $0.getProject(id: "prj_1")
                }
            }
            #expect(server.requests.count == 3)
            #expect(error?.status == 503)
            #expect(error?.code == "unavailable")
            #expect(error?.description == "Cogram failed on GET \(server.baseURL)/v1/projects/prj_1 (HTTP 503 unavailable) after 3 attempts: down for maintenance; the service may be degraded, try again later and contact Cogram support if it persists")
        }
    }

    @Test func clientErrorsAreNotRetried() async throws {
        try await ScriptedServer.with(replies: [.error(404, "not_found", "no such project"), .json(200, Fixture.project(1))]) { server in
            let error = await #expect(throws: CogramAPIError.self) {
                try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { try await $0.getProject(id: "prj_x") }
            }
            #expect(error?.isNotFound == true)
            #expect(server.requests.count == 1)
        }
    }

    @Test func droppedConnectionIsRetriedForGet() async throws {
        try await ScriptedServer.with(replies: [.drop, .json(200, Fixture.project(1))]) { server in
            let project = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.getProject(id: "prj_1")
            }
            #expect(project.id == "prj_1")
            #expect(server.requests.count == 2)
        }
    }

    @Test func postIsNotRetriedAfter503UnlessMarkedSafe() async throws {
        try await ScriptedServer.with(replies: [.error(503, "unavailable", "try later"), .json(201, Fixture.project(1))]) { server in
            let error = await #expect(throws: CogramAPIError.self) {
                try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                    try await $0.createProject(ProjectCreate(name: "P"), retrySafe: false)
                }
            }
            #expect(error?.status == 503)
            #expect(server.requests.count == 1)
        }
    }

    @Test func postIsNotRetriedAfterADroppedConnectionUnlessMarkedSafe() async throws {
        try await ScriptedServer.with(replies: [.drop, .json(201, Fixture.project(1))]) { server in
            let error = await #expect(throws: CogramAPIError.self) {
                try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                    try await $0.createProject(ProjectCreate(name: "P"), retrySafe: false)
                }
            }
            guard case .transport(let transport) = error else {
                Issue.record("expected a transport error, got \(String(describing: error))")
                return
            }
            #expect(transport.kind == .connectionClosed)
            #expect(server.requests.count == 1)
        }
    }

    @Test(arguments: [Reply.error(503, "unavailable", "x"), Reply.drop])
    func postWithExternalIDIsSentAgainAfterReadingThatNothingWasCreated(first: Reply) async throws {
        let posts = Counter()
        try await ScriptedServer.with(script: { _, request in
            if request.method == "GET" { return .json(200, Fixture.page([], page: 1, pageSize: 100, total: 0)) }
            return posts.next() == 0 ? first : .json(201, Fixture.project(1))
        }) { server in
            let project = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.createProject(ProjectCreate(name: "P", externalID: "ext-1"), retrySafe: true)
            }
            #expect(project.id == "prj_1")
            #expect(server.requests.map(\.method) == ["POST", "GET", "POST"])
            #expect(server.requests[1].query["external_id"] == "ext-1")
            #expect(server.requests[1].query["status"] == "all")
        }
    }

    @Test func postIsRetriedAfter429EvenIfNotMarkedSafe() async throws {
        // A 429 means the server did not act on the request.
        try await ScriptedServer.with(replies: [.error(429, "rate_limit_exceeded", "slow down", headers: [("Retry-After", "0")]), .json(201, Fixture.project(1))]) { server in
            _ = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.createProject(ProjectCreate(name: "P"), retrySafe: false)
            }
            #expect(server.requests.count == 2)
        }
    }

    @Test func retryAfterIsHonoured() async throws {
        try await ScriptedServer.with(replies: [
            .error(429, "rate_limit_exceeded", "slow down", headers: [("Retry-After", "1")]), .json(200, Fixture.project(1)),
        ]) { server in
            let (count, elapsed) = try await measure {
                try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { client in
                    _ = try await client.getProject(id: "prj_1")
                    return await client.requestCount
                }
            }
            #expect(elapsed >= .seconds(1))
            #expect(server.requests.count == 2)
            let requests = server.requests
            #expect(requests[1].receivedAt - requests[0].receivedAt >= .seconds(1))
            #expect(count.rateLimited == 1)
            #expect(count.retries == 1)
        }
    }

    @Test func rateLimitWaitsAreBoundedAndDoNotUseTheRetryBudget() async throws {
        try await ScriptedServer.with(replies: [.error(429, "rate_limit_exceeded", "slow down", headers: [("Retry-After", "0")])]) { server in
            var configuration = try Fixture.configuration(server.baseURL, maxRetries: 0)
            configuration.maxRateLimitWaits = 3
            let (error, count) = await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
            // maxRetries 0 does not stop 429 waits: they have their own bound.
            #expect(server.requests.count == 4)
            #expect(error?.status == 429)
            #expect(count.rateLimited == 4)
            #expect(error?.description.hasPrefix("rate limit exceeded on GET \(server.baseURL)/v1/projects/prj_1 (HTTP 429 rate_limit_exceeded) after 4 attempts") == true)
        }
    }

    @Test func absurdRetryAfterFailsAtOnce() async throws {
        try await ScriptedServer.with(replies: [.error(429, "rate_limit_exceeded", "slow down", headers: [("Retry-After", "3600")])]) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.getProject(id: "prj_1")
            }
            #expect(server.requests.count == 1)
            #expect(error?.description.contains("server asked to wait 3600 s") == true)
        }
    }

    @Test func connectionRefusedIsRetriedThenExplained() async throws {
        let server = try await ScriptedServer.start(replies: [.noContent])
        let url = server.baseURL
        try await server.shutdown()
        let (error, count) = await CogramClient.withClientCatching(try Fixture.configuration(url, maxRetries: 2)) {
            try await $0.createProject(ProjectCreate(name: "P"), retrySafe: false)
        }
        guard case .transport(let transport) = error else {
            Issue.record("expected a transport error, got \(String(describing: error))")
            return
        }
        #expect(transport.kind == .connectionFailed)
        // Never sent, so even an unsafe POST is tried again.
        #expect(count.total == 3)
        #expect(transport.attempts == 3)
        #expect(error?.description == "could not connect to \(url)/v1/projects (POST) after 3 attempts: connection refused; is the API URL right (COGRAM_API_URL / --api-url)? is the sandbox running?")
    }

    @Test func readTimeoutIsRetriedThenReported() async throws {
        try await ScriptedServer.with(replies: [.hang]) { server in
            let configuration = try Fixture.configuration(server.baseURL, maxRetries: 1, readTimeout: .milliseconds(300))
            let ((error, _), elapsed) = await measure {
                await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
            }
            guard case .timeout(let timeout) = error else {
                Issue.record("expected a timeout, got \(String(describing: error))")
                return
            }
            #expect(timeout.phase == .read)
            #expect(server.requests.count == 2)
            #expect(elapsed >= .milliseconds(600))
            #expect(error?.description == "GET \(server.baseURL)/v1/projects/prj_1 got no answer within 0.3 s after 2 attempts; Cogram or the network is slow, try again later")
        }
    }
}

extension CogramClient {
    /// Runs one call and returns its `CogramAPIError` (nil on success) with the request count.
    static func withClientCatching<T>(
        _ configuration: ClientConfiguration, isolation: isolated (any Actor)? = #isolation,
        _ body: (CogramClient) async throws -> T
    ) async -> (CogramAPIError?, RequestCount) {
        do {
            return try await withClient(configuration) { client in
                do {
                    _ = try await body(client)
                    return (nil, await client.requestCount)
                } catch let error as CogramAPIError {
                    return (error, await client.requestCount)
                }
            }
        } catch {
            Issue.record("unexpected error \(error)")
            return (nil, RequestCount())
        }
    }
}
