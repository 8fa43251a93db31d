import CogramAPI
import CogramSandbox
import CogramSandboxTestSupport
import CogramTestSupport
import Foundation
import Synchronization
import Testing

/// Issue 24: the list reads tell a callback of every page, with how many the server's total implies, so that the
/// CLI can show progress; against the real sandbox at a small page size.
@Suite struct PageProgressTests {
    @Test func everyPageIsReportedWithTheCountTheTotalImplies() async throws {
        try await TestSandbox.with(seed: try TestSandbox.exampleSeed(), apiKey: SandboxTests.sandboxKey, rateLimitPerMinute: 100_000) { sandbox in
            var configuration = try Fixture.configuration(sandbox.baseURL, actor: "ana@acme.example", requestsPerMinute: 60_000)
            configuration.apiKey = APIKey(sandbox.apiKey ?? SandboxTests.sandboxKey)
            configuration.pageSize = 2
            try await CogramClient.withClient(configuration) { client in
                let projectPages = Mutex<[PageProgress]>([])
                let userPages = Mutex<[PageProgress]>([])
                let projects = try await client.listProjects(
                    status: .all, externalID: nil, onPage: { page in projectPages.withLock { $0.append(page) } })
                let users = try await client.listUsers(email: nil, onPage: { page in userPages.withLock { $0.append(page) } })
                for (items, pages) in [(projects.count, projectPages.withLock { $0 }), (users.count, userPages.withLock { $0 })] {
                    let expected = (items + 1) / 2
                    #expect(items > 4, "the example organization spans several pages of 2")
                    #expect(pages == (1...expected).map { PageProgress(read: $0, total: expected) }, "\(items) items: \(pages)")
                }
                let requests = await client.requestCount.total
                #expect(requests == (projects.count + 1) / 2 + (users.count + 1) / 2, "one callback per page read")
            }
        }
    }
}
