import CogramAPI
import Foundation
import Testing

@Suite("Requests: headers, bodies, paths")
struct RequestTests {
    @Test func getSendsAuthUserAgentAcceptAndActor() async throws {
        try await ScriptedServer.with(replies: [.json(200, Fixture.project(1))]) { server in
            let project = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.getProject(id: "prj_1")
            }
            #expect(project.id == "prj_1")
            #expect(project.description == nil)
            let request = try #require(server.requests.first)
            #expect(request.method == "GET")
            #expect(request.uri == "/v1/projects/prj_1")
            #expect(request.header("Authorization") == "Bearer \(Fixture.key)")
            #expect(request.header("User-Agent") == "cogramctl/9.9.9")
            #expect(request.header("Accept") == "application/json")
            #expect(request.header("X-Forwarded-User") == "ana@acme.example")
            #expect(request.header("Content-Type") == nil)
        }
    }

    @Test func noActorMeansNoForwardedUserHeader() async throws {
        try await ScriptedServer.with(replies: [.json(200, Fixture.project(1))]) { server in
            _ = try await CogramClient.withClient(try Fixture.configuration(server.baseURL, actor: nil)) {
                try await $0.getProject(id: "prj_1")
            }
            #expect(server.requests.count == 1)
            #expect(server.requests.first?.header("X-Forwarded-User") == nil)
        }
    }

    @Test func patchSendsOnlyPresentFieldsAsJSON() async throws {
        try await ScriptedServer.with(replies: [.json(200, Fixture.project(1))]) { server in
            _ = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.updateProject(id: "prj_1", ProjectPatch(name: "New", description: .null))
            }
            let request = try #require(server.requests.first)
            #expect(request.method == "PATCH")
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.body == #"{"description":null,"name":"New"}"#)
        }
    }

    @Test func createPostsBody() async throws {
        try await ScriptedServer.with(replies: [.json(201, Fixture.project(7))]) { server in
            let project = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.createProject(ProjectCreate(name: "P", externalID: "ext-7"), retrySafe: true)
            }
            #expect(project.externalID == "ext-7")
            let request = try #require(server.requests.first)
            #expect(request.method == "POST")
            #expect(request.uri == "/v1/projects")
            #expect(request.body == #"{"external_id":"ext-7","name":"P"}"#)
        }
    }

    @Test(arguments: [(201, true), (200, false)])
    func putMemberReportsCreated(status: Int, created: Bool) async throws {
        try await ScriptedServer.with(replies: [.json(status, Fixture.member)]) { server in
            let result = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.putMember(projectID: "prj_1", userID: "usr_1", role: .owner)
            }
            #expect(result.created == created)
            #expect(result.member.role == .owner)
            #expect(server.requests.first?.method == "PUT")
            #expect(server.requests.first?.uri == "/v1/projects/prj_1/members/usr_1")
            #expect(server.requests.first?.body == #"{"role":"owner"}"#)
        }
    }

    @Test func removeMemberAccepts204WithoutBody() async throws {
        try await ScriptedServer.with(replies: [.noContent]) { server in
            try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) {
                try await $0.removeMember(projectID: "prj_1", userID: "usr_1")
            }
            #expect(server.requests.map(\.method) == ["DELETE"])
            #expect(server.requests.first?.uri == "/v1/projects/prj_1/members/usr_1")
        }
    }

    @Test func archiveAndUpdateUserUseTheirPaths() async throws {
        try await ScriptedServer.with(script: { _, request in
            request.method == "DELETE" ? .json(200, Fixture.project(1)) : .json(200, Fixture.user)
        }) { server in
            try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { client in
                let archived = try await client.archiveProject(id: "prj_1")
                #expect(archived.id == "prj_1")
                let user = try await client.updateUser(id: "usr_1", UserPatch(role: .member, externalID: .value("E-2")))
                #expect(user.id == "usr_1")
            }
            #expect(server.requests.map { "\($0.method) \($0.uri)" } == ["DELETE /v1/projects/prj_1", "PATCH /v1/users/usr_1"])
            #expect(server.requests.last?.body == #"{"external_id":"E-2","role":"member"}"#)
        }
    }

    @Test func pathAndQueryArePercentEncoded() async throws {
        try await ScriptedServer.with(script: { _, request in
            request.path.hasPrefix("/v1/users") ? .json(200, Fixture.page([Fixture.user], page: 1, pageSize: 100, total: 1))
                : .json(200, Fixture.project(1))
        }) { server in
            try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { client in
                _ = try await client.listUsers(email: "a+b@x.example")
                _ = try await client.getProject(id: "odd/id?x")
            }
            let users = try #require(server.requests.first)
            #expect(users.uri.contains("email=a%2Bb%40x.example"))
            #expect(users.query["email"] == "a+b@x.example")
            #expect(server.requests.last?.uri == "/v1/projects/odd%2Fid%3Fx")
        }
    }

    @Test func baseURLWithPathPrefixIsKept() async throws {
        try await ScriptedServer.with(replies: [.json(200, Fixture.project(1))]) { server in
            _ = try await CogramClient.withClient(try Fixture.configuration(server.baseURL + "/api/")) {
                try await $0.getProject(id: "prj_1")
            }
            #expect(server.requests.first?.uri == "/api/v1/projects/prj_1")
        }
    }

    @Test func requestCountSeparatesReadsWrites() async throws {
        try await ScriptedServer.with(script: { _, request in
            request.method == "GET" ? .json(200, Fixture.project(1)) : .json(200, Fixture.project(1))
        }) { server in
            let count = try await CogramClient.withClient(try Fixture.configuration(server.baseURL)) { client in
                _ = try await client.getProject(id: "prj_1")
                _ = try await client.getProject(id: "prj_1")
                _ = try await client.updateProject(id: "prj_1", ProjectPatch(name: "x"))
                return await client.requestCount
            }
            #expect(count == RequestCount(reads: 2, writes: 1, retries: 0, rateLimited: 0))
        }
    }

    @Test func withClientRethrowsTheBodysErrorAndShutsDown() async throws {
        struct Marker: Error {}
        let configuration = try Fixture.configuration("http://127.0.0.1:9")
        var escaped: CogramClient?
        await #expect(throws: Marker.self) {
            try await CogramClient.withClient(configuration) { client in
                escaped = client
                throw Marker()
            }
        }
        // The HTTPClient is shut down: the escaped client cannot send any more.
        let client = try #require(escaped)
        await #expect(throws: CogramAPIError.self) { try await client.getProject(id: "x") }
    }
}
