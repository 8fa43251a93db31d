import CogramAPI
import Foundation
import Testing

/// Servers that differ from the contract in one harmless way at a time, and the client reading them right.
@Suite("Tolerated differences from the contract")
struct ToleranceTests {
    /// `count` projects served `perPage` at a time whatever page_size was asked, each page rendered by `render`.
    static func script(
        count: Int, perPage: Int = 100, render: @escaping @Sendable (_ items: [String], _ page: Int, _ total: Int) -> String
    ) -> ScriptedServer.Script {
        { _, request in
            let page = Int(request.query["page"] ?? "1") ?? 1
            let start = (page - 1) * perPage
            let items = start < count ? (start..<min(count, start + perPage)).map(Fixture.project) : []
            return .json(200, render(items, page, count))
        }
    }

    static func list(_ server: ScriptedServer) async throws -> [Project] {
        try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
            try await $0.listProjects(status: .all, externalID: nil)
        }
    }

    struct Envelope: Sendable, CustomTestStringConvertible {
        var name: String
        var render: @Sendable ([String], Int, Int) -> String
        var testDescription: String { name }
    }

    static let envelopes: [Envelope] = [
        Envelope(name: "data + total_count") { items, _, total in
            #"{"data": [\#(items.joined(separator: ","))], "total_count": \#(total), "object": "list"}"#
        },
        Envelope(name: "results + pagination.total") { items, page, total in
            #"{"results": [\#(items.joined(separator: ","))], "pagination": {"page": \#(page), "per_page": 100, "total": \#(total)}}"#
        },
        Envelope(name: "items + meta.total_count") { items, _, total in
            #"{"items": [\#(items.joined(separator: ","))], "meta": {"total_count": \#(total), "request_id": "r1"}}"#
        },
        Envelope(name: "data + has_more") { items, page, total in
            #"{"data": [\#(items.joined(separator: ","))], "has_more": \#(page * 100 < total)}"#
        },
        Envelope(name: "items + next") { items, page, total in
            let next = page * 100 < total ? #""https://api.example/v1/projects?page=\#(page + 1)""# : "null"
            return #"{"items": [\#(items.joined(separator: ","))], "next": \#(next)}"#
        },
        Envelope(name: "items, no total") { items, _, _ in
            #"{"items": [\#(items.joined(separator: ","))]}"#
        },
    ]

    @Test(arguments: envelopes)
    func listEnvelopesAreRead(_ envelope: Envelope) async throws {
        try await ScriptedServer.with(script: Self.script(count: 250, render: envelope.render)) { server in
            let projects = try await Self.list(server)
            #expect(projects.map(\.id) == (0..<250).map { "prj_\($0)" })
            // 250 items: three pages, and no fourth request (a short page, a total, has_more or next end it).
            #expect(server.requests.count == 3)
        }
    }

    @Test func aFullLastPageWithoutTotalCostsOneEmptyPage() async throws {
        try await ScriptedServer.with(script: Self.script(count: 200) { items, _, _ in #"{"items": [\#(items.joined(separator: ","))]}"# }) { server in
            let projects = try await Self.list(server)
            #expect(projects.count == 200)
            #expect(server.requests.count == 3)
        }
    }

    @Test func unknownFieldsAreIgnored() async throws {
        let project = #"{"id": "prj_1", "name": "P", "description": null, "external_id": "e", "status": "active", "created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-01-05T10:00:00Z", "owner": {"id": 3}, "tags": ["a"]}"#
        try await ScriptedServer.with(replies: [.json(200, #"{"items": [\#(project)], "page": 1, "page_size": 100, "total": 1, "links": {}}"#)]) { server in
            let projects = try await Self.list(server)
            #expect(projects.map(\.id) == ["prj_1"])
        }
    }

    @Test func aServerThatPagesByFiftyAndEchoesTheAskedSizeIsReadToTheEnd() async throws {
        // Pages of 50 while page_size=100 is echoed back: a page of 50 is not the end while the total says more.
        try await ScriptedServer.with(script: Self.script(count: 120, perPage: 50) { items, page, total in
            Fixture.page(items, page: page, pageSize: 100, total: total)
        }) { server in
            let projects = try await Self.list(server)
            #expect(projects.map(\.id) == (0..<120).map { "prj_\($0)" })
            #expect(server.requests.count == 3)
        }
    }

    @Test func aServerThatEchoesALargerPageSizeWithoutTotalIsReadToTheEnd() async throws {
        try await ScriptedServer.with(script: Self.script(count: 250) { items, page, _ in
            #"{"items": [\#(items.joined(separator: ","))], "page": \#(page), "page_size": 500}"#
        }) { server in
            let projects = try await Self.list(server)
            #expect(projects.count == 250)
        }
    }

    @Test func duplicatesAcrossPagesAreRemovedAndTheTotalStillReached() async throws {
        // Each page repeats the last item of the page before (a list that shifted while being read).
        try await ScriptedServer.with(script: { _, request in
            let page = Int(request.query["page"] ?? "1") ?? 1
            let start = max(0, (page - 1) * 100 - 1)
            let items = start < 250 ? (start..<min(250, start + 100)).map(Fixture.project) : []
            return .json(200, Fixture.page(items, page: page, pageSize: 100, total: 250))
        }) { server in
            let projects = try await Self.list(server)
            #expect(projects.map(\.id) == (0..<250).map { "prj_\($0)" })
        }
    }

    @Test func aServerThatIgnoresThePageParameterIsRefusedClearly() async throws {
        // Every page is the first page.
        try await ScriptedServer.with(replies: [.json(200, Fixture.page((0..<100).map(Fixture.project), page: 1, pageSize: 100, total: 250))]) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.listProjects(status: .all, externalID: nil)
            }
            guard case .invalidResponse(let invalid) = error else {
                Issue.record("expected invalidResponse, got \(String(describing: error))")
                return
            }
            #expect(invalid.problem == .inconsistentList(distinct: 100, total: 250))
            #expect(server.requests.count == 6, "three pages, read twice")
        }
    }

    // MARK: - Shapes not understood

    @Test func aShapeDifferenceNamesRequestPathExpectedAndFound() async throws {
        let bad = #"{"id": "prj_3", "name": 42, "description": null, "external_id": "e", "status": "active", "created_at": "x", "updated_at": "x"}"#
        let items = (0..<3).map(Fixture.project) + [bad]
        try await ScriptedServer.with(replies: [.json(200, Fixture.page(items, page: 1, pageSize: 100, total: 4))]) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.listProjects(status: .all, externalID: nil)
            }
            let message = try #require(error?.description)
            #expect(message == "GET \(server.baseURL)/v1/projects?status=all&page=1&page_size=100 answered HTTP 200 in a shape cogramctl does not understand: at items[3].name it expected a string but found 42; run `cogramctl doctor` to compare this server's answers with what cogramctl expects")
            #expect(!message.contains("check"))
            #expect(!message.contains(Fixture.key))
        }
    }

    @Test func aMissingListSaysWhichKeysCame() async throws {
        try await ScriptedServer.with(replies: [.json(200, #"{"projects": [], "count": 0}"#)]) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.listProjects(status: .all, externalID: nil)
            }
            guard case .invalidResponse(let invalid) = error else {
                Issue.record("expected invalidResponse, got \(String(describing: error))")
                return
            }
            #expect(invalid.problem == .shape(at: "items", expected: "a list under items, data or results", found: "no such key (an object with keys count, projects)"))
        }
    }

    @Test func anHTMLPageIsNotAShapeDifference() async throws {
        try await ScriptedServer.with(replies: [.respond(status: 200, headers: [("Content-Type", "text/html")], body: "<!doctype html>\n<html><title>Sign in</title>")]) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.getProject(id: "prj_1")
            }
            #expect(error?.description == "GET \(server.baseURL)/v1/projects/prj_1 answered HTTP 200 with a body starting \u{201C}<!doctype html> <html><title>Sign in</title>\u{201D}, which is not JSON: the API URL may point at a web page or a proxy rather than the Cogram API; check COGRAM_API_URL / --api-url and run `cogramctl doctor`")
        }
    }

    // MARK: - Answers without a body

    static let archived = #"{"id": "prj_1", "name": "Project 1", "description": null, "external_id": "ext-1", "status": "archived", "created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-01-06T10:00:00Z"}"#

    @Test(arguments: [Reply.noContent, Reply.respond(status: 200, headers: [], body: ""), Reply.json(200, ToleranceTests.archived)])
    func archiveAcceptsABodyOrNone(_ reply: Reply) async throws {
        try await ScriptedServer.with(script: { _, request in request.method == "DELETE" ? reply : .json(200, Self.archived) }) { server in
            let project = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.archiveProject(id: "prj_1")
            }
            #expect(project.status == .archived)
            let methods = server.requests.map(\.method)
            if case .respond(_, _, let body) = reply, !body.isEmpty {
                #expect(methods == ["DELETE"])
            } else {
                #expect(methods == ["DELETE", "GET"], "confirmed by reading the project")
                #expect(server.requests.last?.path == "/v1/projects/prj_1")
            }
        }
    }

    @Test func anArchiveThatReadsBackActiveIsAnError() async throws {
        try await ScriptedServer.with(script: { _, request in request.method == "DELETE" ? .noContent : .json(200, Fixture.project(1)) }) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.archiveProject(id: "prj_1")
            }
            #expect(error?.description == "DELETE \(server.baseURL)/v1/projects/prj_1 answered HTTP 204 without a body, and reading it back shows the project still active; run plan again to see the current state, and `cogramctl doctor` to check the server")
        }
    }

    @Test(arguments: [Reply.noContent, Reply.respond(status: 200, headers: [], body: "")])
    func patchWithoutBodyIsConfirmedByReading(_ reply: Reply) async throws {
        let renamed = #"{"id": "prj_1", "name": "New", "description": null, "external_id": "ext-1", "status": "active", "created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-01-06T10:00:00Z"}"#
        try await ScriptedServer.with(script: { _, request in request.method == "PATCH" ? reply : .json(200, renamed) }) { server in
            let project = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.updateProject(id: "prj_1", ProjectPatch(name: "New"))
            }
            #expect(project.name == "New")
            #expect(server.requests.map(\.method) == ["PATCH", "GET"])
        }
    }

    @Test func patchWithoutBodyThatDidNotTakeIsAnError() async throws {
        try await ScriptedServer.with(script: { _, request in request.method == "PATCH" ? .noContent : .json(200, Fixture.project(1)) }) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.updateProject(id: "prj_1", ProjectPatch(name: "New"))
            }
            guard case .invalidResponse(let invalid) = error else {
                Issue.record("expected invalidResponse, got \(String(describing: error))")
                return
            }
            #expect(invalid.problem == .unconfirmed("shows name unchanged"))
        }
    }

    @Test func userPatchWithoutBodyIsConfirmedFromTheList() async throws {
        let guest = #"{"id": "usr_1", "email": "ana@acme.example", "name": "Ana Ruiz", "role": "guest", "external_id": "E-1", "status": "active"}"#
        try await ScriptedServer.with(script: { _, request in
            request.method == "PATCH" ? .noContent : .json(200, Fixture.page([guest], page: 1, pageSize: 100, total: 1))
        }) { server in
            let user = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.updateUser(id: "usr_1", UserPatch(role: .guest))
            }
            #expect(user.role == .guest)
            #expect(server.requests.map(\.method) == ["PATCH", "GET"])
        }
    }

    // MARK: - Rate-limit headers

    static let now = Date(timeIntervalSince1970: 1_780_000_000)

    @Test func resetIsReadAsSecondsOrUnixTime() throws {
        let seconds = try #require(RateLimitHeaders.reset("30", now: Self.now))
        #expect(seconds.seconds == 30)
        #expect(seconds.format == .seconds)
        let epoch = try #require(RateLimitHeaders.reset("1780000012", now: Self.now))
        #expect(epoch.seconds == 12)
        #expect(epoch.format == .epochSeconds)
        let millis = try #require(RateLimitHeaders.reset("1780000005500", now: Self.now))
        #expect(millis.seconds == 5.5)
        #expect(millis.format == .epochMilliseconds)
        let past = try #require(RateLimitHeaders.reset("1779999000", now: Self.now))
        #expect(past.seconds == 0)
        let days = try #require(RateLimitHeaders.reset("1780259200", now: Self.now))
        #expect(days.seconds == 60)
        #expect(days.capped)
        #expect(RateLimitHeaders.reset("soon", now: Self.now) == nil)
        #expect(RateLimitHeaders.reset("-1", now: Self.now) == nil)
    }

    @Test func retryAfterIsReadAsSecondsOrHTTPDate() throws {
        #expect(RateLimitHeaders.retryAfter("7", now: Self.now)?.seconds == 7)
        // 1780000000 is Thu, 28 May 2026 20:26:40 GMT.
        let date = try #require(RateLimitHeaders.retryAfter("Thu, 28 May 2026 20:26:50 GMT", now: Self.now))
        #expect(date.seconds == 10)
        #expect(date.format == .httpDate)
        #expect(RateLimitHeaders.retryAfter("Thursday, 28-May-26 20:26:45 GMT", now: Self.now)?.seconds == 5)
        #expect(RateLimitHeaders.retryAfter("Thu May 28 20:26:43 2026", now: Self.now)?.seconds == 3)
        #expect(RateLimitHeaders.retryAfter("Thu, 28 May 2026 20:00:00 GMT", now: Self.now)?.seconds == 0)
        #expect(RateLimitHeaders.retryAfter("later", now: Self.now) == nil)
    }

    @Test func anHTTPDateRetryAfterIsHonoured() async throws {
        // An hour away as an HTTP-date: above the longest wait cogramctl accepts, so the call fails at once
        // (read as a number of seconds it would not parse, and the client would retry after a backoff).
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let inAnHour = formatter.string(from: Date().addingTimeInterval(3600))
        try await ScriptedServer.with(replies: [.error(429, "rate_limit_exceeded", "slow down", headers: [("Retry-After", inAnHour)])]) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.getProject(id: "prj_1")
            }
            #expect(server.requests.count == 1)
            let wait = try #require(error.flatMap { if case .api(let f) = $0 { f.retryAfterSeconds } else { nil } })
            #expect((3500...3600).contains(wait))
        }
    }

    @Test func anEpochResetIsCappedAndLogged() async throws {
        let capture = LogCapture()
        let inThreeDays = Int(Date().timeIntervalSince1970) + 3 * 86_400
        try await ScriptedServer.with(replies: [.json(200, Fixture.project(1), headers: [
            ("X-RateLimit-Limit", "1000"), ("X-RateLimit-Remaining", "900"), ("X-RateLimit-Reset", String(inThreeDays)),
        ])]) { server in
            _ = try await CogramClient.withClient(try Fixture.configuration(server.baseURL, logger: capture.logger)) {
                try await $0.getProject(id: "prj_1")
            }
        }
        #expect(capture.text.contains("warning GET"))
        #expect(capture.text.contains("X-RateLimit-Reset \(inThreeDays) (read as Unix time in seconds)"))
        #expect(capture.text.contains("waiting at most 60 s instead"))
    }

    // MARK: - Exactly-once creates

    @Test func everyCreateCarriesAnIdempotencyKeyStableAcrossItsRetries() async throws {
        let posts = Counter()
        try await ScriptedServer.with(script: { _, request in
            if request.method == "GET" { return .json(200, Fixture.page([], page: 1, pageSize: 100, total: 0)) }
            return posts.next() == 0 ? .error(503, "unavailable", "x") : .json(201, Fixture.project(1))
        }) { server in
            try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { client in
                _ = try await client.createProject(ProjectCreate(name: "P", externalID: "ext-1"), retrySafe: true)
                _ = try await client.createProject(ProjectCreate(name: "Q", externalID: "ext-2"), retrySafe: true)
            }
            let keys = server.requests.filter { $0.method == "POST" }.map { $0.header("Idempotency-Key") ?? "" }
            #expect(keys.count == 3)
            #expect(keys.allSatisfy { $0.count >= 32 })
            #expect(keys[0] == keys[1], "the resend of one create")
            #expect(keys[1] != keys[2], "another create")
        }
    }

    @Test(arguments: [Reply.drop, Reply.error(502, "", "bad gateway"), Reply.hang])
    func aCreateWhoseAnswerIsLostIsAdoptedNotRepeated(_ failure: Reply) async throws {
        // The server ignores the external_id filter: an unrelated project comes first in the list, and must not
        // be taken for ours.
        let ours = #"{"id": "prj_9", "name": "P", "description": null, "external_id": "ext-1", "status": "active", "created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-01-05T10:00:00Z"}"#
        try await ScriptedServer.with(script: { _, request in
            if request.method == "POST" { return failure }
            return .json(200, Fixture.page([Fixture.project(7), ours], page: 1, pageSize: 100, total: 2))
        }) { server in
            let configuration = try Fixture.configuration(server.baseURL, readTimeout: .milliseconds(300))
            let project = try await CogramClient.withClient(configuration) {
                try await $0.createProject(ProjectCreate(name: "P", externalID: "ext-1"), retrySafe: true)
            }
            #expect(project.id == "prj_9")
            #expect(server.requests.map(\.method) == ["POST", "GET"])
        }
    }

    @Test func anUnrelatedProjectInAnUnfilteredListIsNotAdopted() async throws {
        let posts = Counter()
        try await ScriptedServer.with(script: { _, request in
            if request.method == "GET" { return .json(200, Fixture.page([Fixture.project(7)], page: 1, pageSize: 100, total: 1)) }
            return posts.next() == 0 ? .drop : .json(201, Fixture.project(1))
        }) { server in
            let project = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.createProject(ProjectCreate(name: "P", externalID: "ext-1"), retrySafe: true)
            }
            #expect(project.id == "prj_1")
            #expect(server.requests.map(\.method) == ["POST", "GET", "POST"])
        }
    }

    @Test func twoProjectsWithTheExternalIDAreAnErrorNotAGuess() async throws {
        let twin = #"{"id": "prj_2", "name": "P", "description": null, "external_id": "ext-1", "status": "archived", "created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-01-05T10:00:00Z"}"#
        try await ScriptedServer.with(script: { _, request in
            request.method == "POST" ? .drop : .json(200, Fixture.page([Fixture.project(1), twin], page: 1, pageSize: 100, total: 2))
        }) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.createProject(ProjectCreate(name: "P", externalID: "ext-1"), retrySafe: true)
            }
            guard case .invalidResponse(let invalid) = error else {
                Issue.record("expected invalidResponse, got \(String(describing: error))")
                return
            }
            #expect(invalid.problem == .duplicateExternalID("ext-1", ids: ["prj_1", "prj_2"]))
            #expect(server.requests.filter { $0.method == "POST" }.count == 1)
        }
    }
}
