import CogramAPI
import CogramSandboxTestSupport
import CogramTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CogramSandbox

@Suite struct FaultTests {
    private func statuses(seed: UInt64, count: Int) async throws -> [UInt] {
        let faults = FaultOptions(seed: seed, errorBeforeRate: 0.25, rateLimitBurstRate: 0.1, rateLimitBurstLength: 2)
        return try await withSandbox(configure: { $0.faults = faults }) { h in
            var statuses: [UInt] = []
            for _ in 0..<count {
                let response = try await h.send(.get, "/v1/users")
                if response.status == .tooManyRequests {
                    #expect(response.headers[.retryAfter] == "1")
                }
                if response.status.code >= 500 {
                    #expect(["internal_error", "unavailable"].contains(response.errorCode ?? ""))
                }
                statuses.append(UInt(response.status.code))
            }
            // Faults never touch the documentation routes.
            #expect(try await h.send(.get, "/v1/docs").status == .ok)
            return statuses
        }
    }

    /// An injected 429 says `Retry-After: 1` unless `rateLimitRetryAfterSeconds` asks for another value.
    @Test(arguments: [(nil, "1"), (0, "0"), (7, "7")] as [(Int?, String)])
    func injected429CarriesTheConfiguredRetryAfter(seconds: Int?, header: String) async throws {
        var faults = FaultOptions(seed: 1, rateLimitBurstRate: 1)
        if let seconds { faults.rateLimitRetryAfterSeconds = seconds }
        try await withSandbox(configure: { $0.faults = faults }) { h in
            let response = try await h.send(.get, "/v1/users")
            #expect(response.status == .tooManyRequests)
            #expect(response.headers[.retryAfter] == header)
        }
    }

    @Test func sameSeedSameFaultSequence() async throws {
        let first = try await statuses(seed: 42, count: 40)
        let second = try await statuses(seed: 42, count: 40)
        #expect(first == second)
        #expect(first.contains(200))
        #expect(first.contains(429))
        #expect(first.contains { $0 >= 500 })
        let other = try await statuses(seed: 7, count: 40)
        #expect(other != first)
    }

    @Test func decisionsDependOnlyOnSeedAndPosition() async {
        let options = FaultOptions(seed: 9, errorBeforeRate: 0.2, errorAfterRate: 0.2, dropRate: 0.1, rateLimitBurstRate: 0.05)
        let a = FaultInjector(options: options)
        let b = FaultInjector(options: options)
        var first: [FaultDecision] = []
        var second: [FaultDecision] = []
        for _ in 0..<200 {
            first.append(a.next())
            second.append(b.next())
        }
        #expect(first == second)
        #expect(first.contains { $0.drop })
        #expect(first.contains { $0.errorAfter != nil })
        #expect(first.contains { $0.rateLimited })
    }

    @Test func errorAfterCommitStillCommits() async throws {
        try await withSandbox(configure: { $0.faults = FaultOptions(seed: 1, errorAfterRate: 1) }) { h in
            let response = try await h.send(.post, "/v1/projects", json: #"{"name":"Committed","external_id":"committed-1"}"#)
            #expect([500, 503].contains(response.status.code))
            // Reads are never failed after the fact, so the change is visible.
            let page: Page<Project> = try await h.send(.get, "/v1/projects?external_id=committed-1").decode()
            #expect(page.items.map(\.name) == ["Committed"])
            #expect(try h.store.allProjects(organization: h.sandbox.organization!.id).contains { $0.externalID == "committed-1" })
        }
    }

    @Test func errorBeforeChangesNothing() async throws {
        try await withSandbox(configure: { $0.faults = FaultOptions(seed: 1, errorBeforeRate: 1) }) { h in
            let response = try await h.send(.post, "/v1/projects", json: #"{"name":"Never","external_id":"never-1"}"#)
            #expect([500, 503].contains(response.status.code))
            #expect(try !h.store.allProjects(organization: h.sandbox.organization!.id).contains { $0.externalID == "never-1" })
        }
    }

    @Test func droppedConnectionGivesTheClientAnError() async throws {
        try await withSandbox(configure: { $0.faults = FaultOptions(seed: 3, dropRate: 1) }) { h in
            await #expect(throws: (any Error).self) {
                _ = try await h.send(.get, "/v1/users")
            }
            let stats = await h.sandbox.stats()
            #expect(stats.dropped == 1)
            #expect(stats.byStatus.isEmpty)
        }
    }

    @Test func aFailureRuleFailsEveryMatchingRequestAndNothingElse() async throws {
        let rule = try FaultRule(parsing: "put /v1/projects/prj_fixed01/members/*=503")
        try await withSandbox(configure: { $0.faults = FaultOptions(failures: [rule]) }) { h in
            let ben = try h.userID("ben@acme.example")
            // Persistent: the same request fails every time, and changes nothing.
            for _ in 0..<3 {
                let refused = try await h.send(.put, "/v1/projects/prj_fixed01/members/\(ben)", json: #"{"role":"editor"}"#)
                #expect(refused.status == .serviceUnavailable)
                #expect(refused.errorCode == "unavailable")
            }
            let members = try h.store.members(organization: h.sandbox.organization!.id, projectID: "prj_fixed01")
            #expect(members.map(\.email) == ["ana@acme.example"])
            // Another method on the same path, and the same method on another project's path, are served.
            #expect(try await h.send(.get, "/v1/projects/prj_fixed01/members").status == .ok)
            let created: Project = try await h.send(.post, "/v1/projects", json: #"{"name":"Elsewhere","external_id":"elsewhere-1"}"#).decode()
            let elsewhere = try await h.send(.put, "/v1/projects/\(created.id)/members/\(ben)", json: #"{"role":"editor"}"#)
            #expect(elsewhere.status == .created)
            let ana = try h.userID("ana@acme.example")
            #expect(try await h.send(.delete, "/v1/projects/prj_fixed01/members/\(ana)").status == .noContent)
        }
    }

    @Test func aFailureRuleLeavesTheDrawnFaultsOfOtherRequestsWhereTheyWere() async throws {
        let drawn = FaultOptions(seed: 9, errorBeforeRate: 0.3, dropRate: 0.1, rateLimitBurstRate: 0.05)
        var ruled = drawn
        ruled.failures = [try FaultRule(method: "DELETE", path: "/v1/projects/*", status: 500)]
        let plain = FaultInjector(options: drawn)
        let targeted = FaultInjector(options: ruled)
        var matched = 0
        for index in 0..<120 {
            let (method, path) = index % 3 == 0 ? ("DELETE", "/v1/projects/prj_\(index)") : ("GET", "/v1/projects")
            let expected = plain.next(method: method, path: path)
            let decision = targeted.next(method: method, path: path)
            if method == "DELETE" {
                #expect(decision == FaultDecision(errorBefore: 500))
                matched += 1
            } else {
                #expect(decision == expected, "request \(index)")
            }
        }
        #expect(matched == 40)
    }

    @Test(arguments: [
        ("PUT /v1/projects/*/members/usr_1=503", "PUT", "/v1/projects/prj_9/members/usr_1", true),
        ("PUT /v1/projects/*/members/usr_1=503", "PUT", "/v1/projects/prj_9/members/usr_2", false),
        ("PUT /v1/projects/*/members/usr_1=503", "PATCH", "/v1/projects/prj_9/members/usr_1", false),
        ("PUT /v1/projects/*/members/usr_1=503", "PUT", "/v1/projects/members/usr_1", false),
        ("PUT /v1/projects/*/members/usr_1=503", "PUT", "/v1/projects/a/b/members/usr_1", false),
        ("PUT /v1/projects/*/members/usr_1=503", "PUT", "/v1/projects//members/usr_1", false),
        ("  delete   /v1/projects/prj_1 = 500 ", "DELETE", "/v1/projects/prj_1", true),
        ("DELETE /v1/projects/prj_1=500", "DELETE", "/v1/projects/prj_1/members", false),
    ])
    func failureRulesMatchSegmentBySegment(rule: String, method: String, path: String, matches: Bool) throws {
        #expect(try FaultRule(parsing: rule).matches(method: method, path: path) == matches)
    }

    @Test(arguments: [
        ("PUT /v1/projects/*/members/usr_1", "a fault rule is METHOD PATH=STATUS"),
        ("/v1/projects=503", "a fault rule is METHOD PATH=STATUS"),
        ("PUT /v1/projects=abc", "a fault rule is METHOD PATH=STATUS"),
        ("FETCH /v1/projects=503", "fault rule method 'FETCH' is not one of GET, POST, PATCH, PUT, DELETE"),
        ("GET /projects=503", "fault rule path '/projects' must start with /v1/"),
        ("GET /v1/projects?status=all=503", "fault rule path '/v1/projects?status=all' must start with /v1/ and have no query"),
        ("GET /v1/projects=404", "fault rule status 404 must be 409, 500 or 503"),
    ])
    func malformedFailureRulesAreRefusedWithTheShapeToUse(text: String, message: String) {
        #expect {
            try FaultRule(parsing: text)
        } throws: { error in
            "\(error)".hasPrefix(message) && "\(error)".contains("for example 'PUT /v1/projects/*/members/usr_1=503'")
        }
    }

    @Test func aFailureRuleReadsBackAsWritten() throws {
        #expect(try FaultRule(parsing: "put /v1/projects/*/members/usr_1=503").description == "PUT /v1/projects/*/members/usr_1=503")
        #expect(FaultOptions(failures: [try FaultRule(parsing: "GET /v1/users=500")]).isEnabled)
    }

    @Test func latencyIsAdded() async throws {
        try await withSandbox(configure: { $0.faults = FaultOptions(latencyMilliseconds: 150) }) { h in
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await h.send(.get, "/v1/users")
            #expect(clock.now - start >= .milliseconds(150))
            #expect(response.status == .ok)
        }
    }
}

@Suite struct AuditAndStatsTests {
    @Test func writesAreAuditedWithActorAndKeyName() async throws {
        try await withSandbox { h in
            let org = h.sandbox.organization!.id
            let key = try h.store.createAPIKey(organization: org, name: "ci-pipeline")
            _ = try await h.send(.get, "/v1/projects", key: key)
            let response = try await h.send(
                .patch, "/v1/projects/prj_fixed01", json: #"{"name":"Audited"}"#, key: key,
                headers: [.xForwardedUser: "dana@acme.example"])
            #expect(response.status == .ok)
            _ = try await h.send(.delete, "/v1/projects/prj_missing", key: key)
            let entries = try h.store.auditLog(organization: org)
            #expect(entries.count == 2)
            let patch = try #require(entries.last)
            #expect(patch.method == "PATCH")
            #expect(patch.path == "/v1/projects/prj_fixed01")
            #expect(patch.status == 200)
            #expect(patch.actor == "dana@acme.example")
            #expect(patch.keyName == "ci-pipeline")
            #expect(entries.first?.status == 404)
            #expect(entries.first?.actor == nil)
            #expect(try h.store.auditLog(organization: org, limit: 1).count == 1)
        }
    }

    @Test func statsCountRequestsByMethodAndStatus() async throws {
        try await withSandbox { h in
            await h.sandbox.resetStats()
            _ = try await h.send(.get, "/v1/users")
            _ = try await h.send(.get, "/v1/projects/prj_missing")
            _ = try await h.send(.post, "/v1/projects", json: #"{"name":"Counted"}"#)
            _ = try await h.send(.post, "/v1/projects", json: #"{}"#)
            let stats = await h.sandbox.stats()
            #expect(stats.total == 4)
            #expect(stats.byMethod == ["GET": 2, "POST": 2])
            #expect(stats.byStatus == [200: 1, 404: 1, 201: 1, 422: 1])
            #expect(stats.writes == 1)
            await h.sandbox.resetStats()
            #expect(await h.sandbox.stats() == SandboxStats())
        }
    }
}

@Suite struct SeedTests {
    @Test func seedingIsIdempotentAndKeepsAPIChanges() async throws {
        let path = temporaryDatabasePath()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try SandboxStore(path: path)
        let seed = testSeed()
        let first = try store.seed(seed)
        let second = try store.seed(seed)
        #expect(first == second)
        #expect(try store.organizations().count == 1)
        #expect(try store.allUsers(organization: first).count == 4)
        #expect(try store.allProjects(organization: first).count == 2)

        // Changes made through the API survive re-seeding with the same file.
        let project = try await store.updateProject(orgID: first, id: "prj_fixed01", changes: ProjectChanges(externalID: .value("rekeyed")))
        #expect(project.externalID == "rekeyed")
        let ana = try #require(try store.allUsers(organization: first).first)
        _ = try await store.updateUser(orgID: first, userID: ana.id, changes: UserChanges(role: .guest))
        try store.seed(seed)
        #expect(try store.allProjects(organization: first).count == 2)
        #expect(try store.allProjects(organization: first).first?.externalID == "rekeyed")
        #expect(try store.allUsers(organization: first).first?.role == .guest)

        // Editing a user's seed entry updates that user; a new user is added, matched case-insensitively.
        var edited = seed
        edited.users[0].name = "Ana María Ruiz"
        edited.users[1].email = "ben@acme.example"
        edited.users.append(.init(email: "dan@acme.example", name: "Dan", role: .member))
        try store.seed(edited)
        let users = try store.allUsers(organization: first)
        #expect(users.count == 5)
        #expect(users[0].name == "Ana María Ruiz")
        #expect(try store.members(organization: first, projectID: "prj_fixed01").map(\.name) == ["Ana María Ruiz"])
        try store.close()
    }

    @Test func exampleSeedFileHasTheNorthwindOrganization() throws {
        let seed = try TestSandbox.exampleSeed()
        #expect(seed.organization == "Northwind Build")
        let byEmail = Dictionary(uniqueKeysWithValues: seed.users.map { ($0.email, $0) })
        for local in ["ana.ruiz", "ben.okafor"] {
            #expect(byEmail["\(local)@northwind-build.example"]?.role == .admin)
        }
        for local in ["ivan.petrov", "lena.fischer"] {
            #expect(byEmail["\(local)@northwind-build.example"]?.role == .guest)
        }
        for local in ["chloe.martin", "diego.santos", "elif.yilmaz", "farah.haddad", "george.lee", "hana.sato", "julia.novak", "kofi.mensah"] {
            #expect(byEmail["\(local)@northwind-build.example"]?.role == .member, "\(local)")
        }
        #expect(byEmail["former.employee@northwind-build.example"]?.status == .deactivated)
        #expect(seed.users.filter { $0.status == .deactivated }.count == 1)
        let projects = Dictionary(uniqueKeysWithValues: (seed.projects ?? []).map { ($0.name, $0) })
        #expect(projects["Riverside Depot Expansion"]?.id == "prj_riverside01")
        #expect(projects["Riverside Depot Expansion"]?.externalID == nil)
        #expect(projects["Legacy Site Office"]?.externalID == nil)
        #expect(projects["Old Warehouse Refit"]?.externalID == "nw-warehouse-old")
        #expect(projects["Old Warehouse Refit"]?.members == [.init(email: "ana.ruiz@northwind-build.example", role: .owner)])
        #expect(projects["Canal Lock 3"]?.externalID == "nw-canal-lock-3")
        #expect(projects["Canal Lock 3"]?.status == .archived)

        let path = temporaryDatabasePath()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try SandboxStore(path: path)
        let org = try store.seed(seed)
        #expect(try store.allProjects(organization: org).count == 5)
        try store.close()
    }

    @Test func invalidSeedFilesAreReported() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"organization":"X","users":[{"email":"a@b","name":"A","role":"boss"}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: SandboxError.self) { try SandboxSeed.load(path: path) }
        #expect(throws: SandboxError.self) { try SandboxSeed.load(path: path + ".missing") }
    }
}
