@testable import CogramAPI
import Foundation
import Testing

@Suite("Pagination")
struct PaginationTests {
    /// A server holding `total` projects that pages them like the contract says.
    static func pagingScript(total: Int, reportedTotal: Int? = nil) -> ScriptedServer.Script {
        { _, request in
            let page = Int(request.query["page"] ?? "1") ?? 1
            let size = Int(request.query["page_size"] ?? "50") ?? 50
            let start = (page - 1) * size
            let items = start < total ? (start..<min(total, start + size)).map(Fixture.project) : []
            return .json(200, Fixture.page(items, page: page, pageSize: size, total: reportedTotal ?? total))
        }
    }

    @Test func listCollectsAllPagesWithPageSize100() async throws {
        try await ScriptedServer.with(script: Self.pagingScript(total: 250)) { server in
            let projects = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.listProjects(status: .all, externalID: nil)
            }
            #expect(projects.map(\.id) == (0..<250).map { "prj_\($0)" })
            // Page 1 first (it tells the total); pages 2 and 3 then go out together, in either order.
            #expect(server.requests.first?.query["page"] == "1")
            #expect(server.requests.map { $0.query["page"] }.sorted { ($0 ?? "") < ($1 ?? "") } == ["1", "2", "3"])
            #expect(server.requests.allSatisfy { $0.query["page_size"] == "100" && $0.query["status"] == "all" })
        }
    }

    @Test func fullLastPageStopsByTotalWithoutAnExtraRequest() async throws {
        try await ScriptedServer.with(script: Self.pagingScript(total: 200)) { server in
            let projects = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.listProjects(status: .active, externalID: nil)
            }
            #expect(projects.count == 200)
            #expect(server.requests.count == 2)
        }
    }

    @Test func aTotalTheItemsNeverReachIsReadTwiceThenRefused() async throws {
        // The server claims more than it has: the announced pages are read (the empty ones add nothing), the
        // listing is read once more in case it changed meanwhile, and then the mismatch is an error, not a guess.
        try await ScriptedServer.with(script: Self.pagingScript(total: 200, reportedTotal: 1000)) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.listProjects(status: .active, externalID: nil)
            }
            #expect(server.requests.count == 20)
            #expect(error?.description == "listing GET \(server.baseURL)/v1/projects?status=active gave 200 distinct items but the server reported a total of 1000, twice in a row; the server may not page as cogramctl expects (page, page_size), or the list changed while it was read; run `cogramctl doctor`, then try again")
        }
    }

    @Test func pagesAfterTheFirstAreFetchedInOrderAndOnlyOnce() async throws {
        try await ScriptedServer.with(script: Self.pagingScript(total: 950)) { server in
            let projects = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.listProjects(status: .active, externalID: nil)
            }
            #expect(projects.count == 950)
            #expect(projects.map(\.id) == (0..<950).map { "prj_\($0)" }, "joined in page order")
            #expect(server.requests.count == 10)
            #expect(Set(server.requests.compactMap { $0.query["page"] }) == Set((1...10).map(String.init)))
        }
    }

    @Test func emptyListIsOneRequest() async throws {
        try await ScriptedServer.with(script: Self.pagingScript(total: 0)) { server in
            let members = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.listMembers(projectID: "prj_1")
            }
            #expect(members.isEmpty)
            #expect(server.requests.map(\.path) == ["/v1/projects/prj_1/members"])
        }
    }

    @Test func pageSequenceYieldsPagesLazily() async throws {
        try await ScriptedServer.with(script: Self.pagingScript(total: 250)) { server in
            try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { client in
                var sizes: [Int] = []
                for try await page in client.projectPages(status: .archived, externalID: "ext-1") {
                    sizes.append(page.items.count)
                    if sizes.count == 2 { break }
                }
                #expect(sizes == [100, 100])
            }
            // Breaking out after two pages means no third request.
            #expect(server.requests.count == 2)
            #expect(server.requests.first?.query["external_id"] == "ext-1")
            #expect(server.requests.first?.query["status"] == "archived")
        }
    }

    @Test func aFailingPageFailsTheListing() async throws {
        try await ScriptedServer.with(script: { index, request in
            index == 0 ? Self.pagingScript(total: 250)(index, request) : .error(400, "bad_request", "page_size too large")
        }) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.listProjects(status: .active, externalID: nil)
            }
            #expect(error?.status == 400)
            // Pages 2 and 3 are requested together; page 3's request may be cancelled before it is sent.
            #expect((2...3).contains(server.requests.count))
        }
    }

    // MARK: - Bounded

    /// A server that announces `total` items, caps its pages at `cap`, and brings one new id per page (the rest
    /// repeats the first items).
    static func creepingScript(total: Int, cap: Int = 100) -> ScriptedServer.Script {
        { _, request in
            let page = Int(request.query["page"] ?? "1") ?? 1
            let size = min(cap, Int(request.query["page_size"] ?? "50") ?? 50)
            let items = (0..<(size - 1)).map(Fixture.project) + [Fixture.project(1_000_000 + page)]
            return .json(200, Fixture.page(items, page: page, pageSize: size, total: total))
        }
    }

    @Test func aTotalThatWouldTakeTooManyPagesIsRefusedAtTheFirstPage() async throws {
        try await ScriptedServer.with(script: Self.creepingScript(total: 2_000_000_000)) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.listProjects(status: .active, externalID: nil)
            }
            #expect(server.requests.count == 1)
            #expect(error?.description == "listing GET \(server.baseURL)/v1/projects?status=active would not end: the server reports 2000000000 items at 100 per page, which would take more than 10000 pages; cogramctl stops there rather than read forever (at most 10000 pages per list, and at most twice the pages the reported total needs); run `cogramctl doctor`, and report this server's paging if it persists")
        }
    }

    @Test func pagesThatBringOneNewItemEachStopAtTwiceWhatTheTotalNeeds() async throws {
        // 5,000 items at 100 per page need 50 pages; the listing may take 2 × 50 + 10 = 110.
        try await ScriptedServer.with(script: Self.creepingScript(total: 5_000)) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.listProjects(status: .active, externalID: nil)
            }
            #expect(server.requests.count == 110)
            let description = try #require(error?.description)
            #expect(description.contains("would not end: after 110 pages it has brought 209 distinct items of the 5000 it reports at 100 per page, and says more follow"), "\(description)")
        }
    }

    @Test func aServerThatCapsItsPageLengthIsStillReadToTheEnd() async throws {
        // Asked for 100 per page, it gives 7: 250 items take 36 pages, well within the budget.
        try await ScriptedServer.with(script: { _, request in
            let page = Int(request.query["page"] ?? "1") ?? 1
            let start = (page - 1) * 7
            let items = start < 250 ? (start..<min(250, start + 7)).map(Fixture.project) : []
            return .json(200, Fixture.page(items, page: page, pageSize: 7, total: 250))
        }) { server in
            let projects = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.listProjects(status: .active, externalID: nil)
            }
            #expect(projects.map(\.id) == (0..<250).map { "prj_\($0)" })
            #expect(server.requests.count == 36)
        }
    }

    @Test func theBudgetIsTwiceThePagesTheTotalNeedsAndNeverMoreThanTheBound() {
        #expect(Paging.budget(total: 250, perPage: 100) == 16)
        #expect(Paging.budget(total: 0, perPage: 100) == 10)
        #expect(Paging.budget(total: 999_900, perPage: 100) == Paging.maxPages)
        #expect(Paging.budget(total: 1_000_001, perPage: 100) == nil)
        #expect(Paging.maxPages == 10_000)
    }
}

