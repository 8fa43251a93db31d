import CogramAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CogramSandbox

/// Each dialect over real HTTP: what it changes, and that it changes nothing else.
@Suite struct DialectTests {
    private func json(_ response: TestClient.Response) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: response.data) as? [String: Any])
    }

    private func withDialects<T: Sendable>(
        _ dialects: Set<SandboxDialect>, configure: @escaping (inout SandboxOptions) -> Void = { _ in },
        _ body: (Harness) async throws -> T
    ) async throws -> T {
        try await withSandbox(configure: { options in
            options.dialects = dialects
            configure(&options)
        }, body)
    }

    @Test func dataEnvelopeWrapsListsOnly() async throws {
        try await withDialects([.dataEnvelope]) { h in
            let list = try json(try await h.send(.get, "/v1/projects?status=all"))
            #expect(list["items"] == nil)
            #expect((list["data"] as? [[String: Any]])?.count == 2)
            let meta = try #require(list["meta"] as? [String: Any])
            #expect(meta["total"] as? Int == 2)
            #expect(meta["page"] as? Int == 1)
            #expect(meta["page_size"] as? Int == 50)
            let users = try json(try await h.send(.get, "/v1/users"))
            #expect((users["data"] as? [Any])?.count == 4)
            let members = try json(try await h.send(.get, "/v1/projects/prj_fixed01/members"))
            #expect((members["data"] as? [Any])?.count == 1)
            // A single record is not a list.
            let project = try json(try await h.send(.get, "/v1/projects/prj_fixed01"))
            #expect(project["id"] as? String == "prj_fixed01")
        }
    }

    @Test func extraFieldsAppearInEveryObjectIncludingErrors() async throws {
        try await withDialects([.extraFields]) { h in
            let list = try json(try await h.send(.get, "/v1/projects?status=all"))
            #expect(list["x_cogram_revision"] as? String == "2031-01-01")
            let items = try #require(list["items"] as? [[String: Any]])
            #expect(items.count == 2)
            for item in items {
                #expect(item["x_cogram_meta"] is [String: Any])
                #expect(item["id"] is String)
            }
            let missing = try await h.send(.get, "/v1/projects/prj_nothing")
            #expect(missing.status == .notFound)
            let error = try #require(try json(missing)["error"] as? [String: Any])
            #expect(error["code"] as? String == "not_found")
            #expect(error["x_cogram_revision"] != nil)
            // The contract's decoders still read it.
            let page = try JSONDecoder().decode(Page<Project>.self, from: try await h.send(.get, "/v1/projects").data)
            #expect(page.items.map(\.id) == ["prj_fixed01"])
        }
    }

    @Test func ignoreFiltersReturnsEverything() async throws {
        try await withDialects([.ignoreFilters]) { h in
            let projects = try await h.send(.get, "/v1/projects?status=all&external_id=seeded-1")
            #expect(try projects.decode(Page<Project>.self).items.count == 2)
            let users = try await h.send(.get, "/v1/users?email=ana@acme.example")
            #expect(try users.decode(Page<User>.self).items.count == 4)
            // Other parameters still count.
            let active = try await h.send(.get, "/v1/projects?external_id=seeded-1")
            #expect(try active.decode(Page<Project>.self).items.map(\.id) == ["prj_fixed01"])
        }
        try await withSandbox { h in
            let users = try await h.send(.get, "/v1/users?email=ana@acme.example")
            #expect(try users.decode(Page<User>.self).items.count == 1)
        }
    }

    @Test func delete204AnswersArchiveWithNoBody() async throws {
        try await withDialects([.delete204]) { h in
            let response = try await h.send(.delete, "/v1/projects/prj_fixed01")
            #expect(response.status == .noContent)
            #expect(response.data.isEmpty)
            let stored = try h.store.allProjects(organization: h.sandbox.organization!.id).first { $0.id == "prj_fixed01" }
            #expect(stored?.status == .archived)
            #expect(try await h.send(.delete, "/v1/projects/prj_nothing").status == .notFound)
            // Other answers keep their bodies.
            #expect(try await h.send(.get, "/v1/projects/prj_fixed01").status == .ok)
        }
    }

    @Test func epochResetIsAUnixTime() async throws {
        try await withDialects([.epochReset]) { h in
            let response = try await h.send(.get, "/v1/projects")
            let reset = try #require(response.headers[.xRateLimitReset].flatMap(Int.init))
            let now = Int(Date().timeIntervalSince1970)
            // A window of 60 s from a start within the last minute, as an absolute time.
            #expect(reset > now - 120 && reset <= now + 120)
        }
        try await withSandbox { h in
            let reset = try #require(try await h.send(.get, "/v1/projects").headers[.xRateLimitReset].flatMap(Int.init))
            #expect((1...60).contains(reset))
        }
    }

    @Test func retryAfterIsAnHTTPDateOn429() async throws {
        try await withDialects([.retryAfterDate], configure: { $0.rateLimitPerMinute = 1 }) { h in
            #expect(try await h.send(.get, "/v1/projects").status == .ok)
            let limited = try await h.send(.get, "/v1/projects")
            #expect(limited.status == .tooManyRequests)
            let raw = try #require(limited.headers[.retryAfter])
            #expect(Int(raw) == nil)
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            let date = try #require(formatter.date(from: raw), "\(raw)")
            let seconds = date.timeIntervalSinceNow
            #expect(seconds > -5 && seconds <= 125)
            // The other rate-limit header keeps its contract form.
            #expect(limited.headers[.xRateLimitReset].flatMap(Int.init) != nil)
        }
    }

    @Test func noUniqueExternalIDLetsProjectsShareOne() async throws {
        try await withDialects([.noUniqueExternalID]) { h in
            let first = try await h.send(.post, "/v1/projects", json: #"{"name":"Twin A","external_id":"seeded-1"}"#)
            #expect(first.status == .created)
            let renamed = try await h.send(
                .patch, "/v1/projects/\(try first.decode(Project.self).id)", json: #"{"external_id":"old-1"}"#)
            #expect(renamed.status == .ok)
            let shared = try await h.send(.get, "/v1/projects?status=all&external_id=old-1")
            #expect(try shared.decode(Page<Project>.self).items.count == 2)
        }
        try await withSandbox { h in
            let refused = try await h.send(.post, "/v1/projects", json: #"{"name":"Twin A","external_id":"seeded-1"}"#)
            #expect(refused.status == .conflict)
        }
    }

    @Test func unknownEnumValuesShowOnTheDefaultRecordsUntilWritten() async throws {
        try await withDialects([.unknownEnumValues]) { h in
            let org = h.sandbox.organization!.id
            let cara = try h.userID("cara@acme.example")
            let ana = try h.userID("ana@acme.example")
            let members = try json(try await h.send(.get, "/v1/projects/prj_fixed01/members"))
            let member = try #require((members["items"] as? [[String: Any]])?.first)
            #expect(member["role"] as? String == "approver")
            let users = try #require(try json(try await h.send(.get, "/v1/users"))["items"] as? [[String: Any]])
            let caraJSON = try #require(users.first { $0["id"] as? String == cara })
            #expect(caraJSON["role"] as? String == "billing")
            #expect(caraJSON["status"] as? String == "suspended")
            #expect(users.filter { $0["status"] as? String == "suspended" }.count == 1)
            let projects = try #require(try json(try await h.send(.get, "/v1/projects?status=all"))["items"] as? [[String: Any]])
            #expect(projects.first { $0["name"] as? String == "Old One" }?["status"] as? String == "paused")
            #expect(projects.first { $0["id"] as? String == "prj_fixed01" }?["status"] as? String == "active")

            // A write of the field replaces the unknown value for good.
            let put = try await h.send(.put, "/v1/projects/prj_fixed01/members/\(ana)", json: #"{"role":"owner"}"#)
            #expect(try json(put)["role"] as? String == "owner")
            let again = try json(try await h.send(.get, "/v1/projects/prj_fixed01/members"))
            #expect((again["items"] as? [[String: Any]])?.first?["role"] as? String == "owner")
            #expect(try h.store.unknownValues(organization: org)[.memberRole(projectID: "prj_fixed01", userID: ana)] == nil)

            // Set explicitly, on any record.
            try h.store.setUnknownValue(.projectStatus(projectID: "prj_fixed01"), to: "on_hold", organization: org)
            let project = try json(try await h.send(.get, "/v1/projects/prj_fixed01"))
            #expect(project["status"] as? String == "on_hold")
        }
    }

    @Test func withoutTheDialectStoredUnknownValuesStayHidden() async throws {
        try await withSandbox { h in
            let org = h.sandbox.organization!.id
            try h.store.setUnknownValue(.projectStatus(projectID: "prj_fixed01"), to: "on_hold", organization: org)
            let project = try await h.send(.get, "/v1/projects/prj_fixed01")
            #expect(try project.decode(Project.self).status == .active)
        }
    }

    @Test func loseFirstCreateCommitsTheFirstCreateAndDropsItsAnswer() async throws {
        try await withDialects([.loseFirstCreate]) { h in
            let org = h.sandbox.organization!.id
            await #expect(throws: (any Error).self) {
                _ = try await h.send(.post, "/v1/projects", json: #"{"name":"Lost","external_id":"lost-1"}"#)
            }
            #expect(try h.store.allProjects(organization: org).contains { $0.externalID == "lost-1" })
            #expect(await h.sandbox.stats().dropped == 1)
            // Only the first: the next create is answered.
            let client = TestClient(host: "127.0.0.1", port: h.sandbox.port)
            client.connect()
            let second = try await client.execute(
                .init(
                    "/v1/projects", method: .post,
                    headers: [.authorization: "Bearer \(h.key)", .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"name":"Kept","external_id":"kept-1"}"#)))
            try await client.shutdown()
            #expect(second.status == .created)
            // The lost create was audited as committed.
            let audit = try h.store.auditLog(organization: org)
            #expect(audit.filter { $0.method == "POST" && $0.status == 201 }.count == 2)
        }
    }

    @Test func dialectNamesParseAndUnknownOnesListTheValidOnes() throws {
        #expect(try SandboxDialect.parse("data-envelope, delete-204") == [.dataEnvelope, .delete204])
        #expect(SandboxDialect.allCases.count == 9)
        #expect(throws: SandboxError.invalidArgument("unknown dialect 'data-envlope'; valid dialects: \(SandboxDialect.names)")) {
            try SandboxDialect.parse("data-envlope")
        }
        #expect(throws: SandboxError.self) { try SandboxDialect.parse("delete-204,") }
        #expect(SandboxDialect.names.hasPrefix("data-envelope, extra-fields, ignore-filters, delete-204"))
    }
}
