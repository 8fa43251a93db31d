import CogramAPI
import Foundation
import Testing

@Suite("Rate limiting")
struct RateLimitTests {
    @Test func tokenBucketPacesConcurrentRequests() async throws {
        // 600/min: the bucket refills at 0.97 · 10/s with a burst of 9, so 30 requests need ≥ 21/9.7 ≈ 2.16 s.
        try await ScriptedServer.with(replies: [.json(200, Fixture.project(1))]) { server in
            let configuration = try Fixture.configuration(server.baseURL, requestsPerMinute: 600)
            let (_, elapsed) = try await measure {
                try await CogramClient.withClient(configuration) { client in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<30 { group.addTask { _ = try await client.getProject(id: "prj_1") } }
                        try await group.waitForAll()
                    }
                }
            }
            #expect(server.requests.count == 30)
            #expect(elapsed >= .seconds(2))
            // No more than burst + rate · t requests in any prefix: the 20th cannot arrive before ~1.1 s.
            let times = server.requests.map(\.receivedAt).sorted()
            #expect(times[19] - times[0] >= .milliseconds(1000))
        }
    }

    @Test func lowRemainingBudgetMakesTheClientWaitForTheReset() async throws {
        try await ScriptedServer.with(script: { index, _ in
            index == 0
                ? .json(200, Fixture.project(1), headers: [("X-RateLimit-Limit", "100"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1")])
                : .json(200, Fixture.project(1))
        }) { server in
            try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { client in
                _ = try await client.getProject(id: "prj_1")
                _ = try await client.getProject(id: "prj_1")
            }
            let requests = server.requests
            #expect(requests.count == 2)
            #expect(requests[1].receivedAt - requests[0].receivedAt >= .milliseconds(900))
        }
    }

    @Test func lowRemainingBudgetSpreadsRequestsOverTheReset() async throws {
        // 3 requests left for the next 2 s: the client spaces them ≈ 2 s / (3 - 1 spare) = 1 s apart.
        try await ScriptedServer.with(script: { index, _ in
            index == 0
                ? .json(200, Fixture.project(1), headers: [("X-RateLimit-Remaining", "3"), ("X-RateLimit-Reset", "2")])
                : .json(200, Fixture.project(1))
        }) { server in
            try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { client in
                for _ in 0..<3 { _ = try await client.getProject(id: "prj_1") }
            }
            let times = server.requests.map(\.receivedAt)
            #expect(times.count == 3)
            #expect(times[2] - times[0] >= .milliseconds(900))
        }
    }

    /// Pacing by the server's budget keeps its spacing with several requests waiting: a request that completes
    /// does not hand the next one a slot that a waiting request already holds.
    @Test func serverPacingKeepsItsSpacingUnderConcurrency() async throws {
        // 13 left for the next 2 s on every answer: with up to 4 in flight, the spacing is 2 s / (13 − 4 − 1) = 0.25 s
        // at the start and never below 2 s / 12 ≈ 0.17 s.
        try await ScriptedServer.with(script: { _, _ in
            .json(200, Fixture.project(1), headers: [("X-RateLimit-Remaining", "13"), ("X-RateLimit-Reset", "2")])
        }) { server in
            try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 {
                        group.addTask { for _ in 0..<3 { _ = try await client.getProject(id: "prj_1") } }
                    }
                    try await group.waitForAll()
                }
            }
            let times = server.requests.map(\.receivedAt).sorted()
            #expect(times.count == 12)
            // The first four leave before any answer (the token bucket's burst); every later one is paced.
            let gaps = zip(times.dropFirst(4), times.dropFirst(5)).map { $1 - $0 }
            #expect(gaps.allSatisfy { $0 >= .milliseconds(120) }, "\(gaps)")
        }
    }

    @Test func a429BlocksOtherRequestsOfTheSameClient() async throws {
        // Request B starts only once A's 429 has been processed (the client logs it after blocking).
        let (signal, continuation) = AsyncStream<Void>.makeStream()
        let capture = LogCapture { line in if line.contains("rate limited") { continuation.yield() } }
        try await ScriptedServer.with(script: { index, _ in
            index == 0
                ? .error(429, "rate_limit_exceeded", "slow down", headers: [("Retry-After", "1")])
                : .json(200, Fixture.project(1))
        }) { server in
            let configuration = try Fixture.configuration(server.baseURL, logger: capture.logger)
            try await CogramClient.withClient(configuration) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try await client.getProject(id: "prj_a") }
                    for await _ in signal { break }
                    group.addTask { _ = try await client.getProject(id: "prj_b") }
                    try await group.waitForAll()
                }
            }
            let requests = server.requests
            #expect(requests.count == 3)
            let b = try #require(requests.first { $0.uri.hasSuffix("prj_b") })
            #expect(b.receivedAt - requests[0].receivedAt >= .seconds(1))
        }
    }
}
