import CogramAPI
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CogramSandbox

// The sandbox lets no one in where they don't belong: keys, organizations and hostile requests.
// (Basic key states and a first isolation pass are in AuthTests and IsolationTests.)

/// One request of every API route, with a body where the route takes one.
struct Endpoint: Sendable, CustomTestStringConvertible {
    var method: HTTPRequest.Method
    var path: String
    var body: String?

    var testDescription: String { "\(method) \(path)" }

    static let all: [Endpoint] = [
        .init(method: .get, path: "/v1/projects"),
        .init(method: .post, path: "/v1/projects", body: #"{"name":"Should not exist"}"#),
        .init(method: .get, path: "/v1/projects/prj_fixed01"),
        .init(method: .patch, path: "/v1/projects/prj_fixed01", body: #"{"name":"Renamed"}"#),
        .init(method: .delete, path: "/v1/projects/prj_fixed01"),
        .init(method: .get, path: "/v1/projects/prj_fixed01/members"),
        .init(method: .put, path: "/v1/projects/prj_fixed01/members/usr_x", body: #"{"role":"viewer"}"#),
        .init(method: .delete, path: "/v1/projects/prj_fixed01/members/usr_x"),
        .init(method: .get, path: "/v1/users"),
        .init(method: .patch, path: "/v1/users/usr_x", body: #"{"role":"guest"}"#),
    ]
}

/// A second organization with its own, distinct names, emails and external ids.
func betaSeed() -> SandboxSeed {
    SandboxSeed(
        organization: "Beta Corp",
        users: [
            .init(email: "bob@beta.example", name: "Bob Beta", role: .admin, externalID: "B-1"),
            .init(email: "bea@beta.example", name: "Bea Beta", role: .member),
        ],
        projects: [
            .init(
                id: "prj_beta01", name: "Beta Secret", externalID: "beta-1",
                members: [.init(email: "bob@beta.example", role: .owner)])
        ])
}

private func percentEncoded(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
}

@Suite struct KeyStateOnEveryEndpointTests {
    @Test(arguments: Endpoint.all)
    func revokedExpiredUnknownAndMissingKeysAreRefused(endpoint: Endpoint) async throws {
        try await withSandbox { h in
            let org = h.sandbox.organization!.id
            let revoked = try h.store.createAPIKey(organization: org, name: "revoked")
            try h.store.revokeAPIKey(organization: org, key: "revoked")
            let expired = try h.store.createAPIKey(
                organization: org, name: "expired", expiresAt: Date().addingTimeInterval(-1))
            let cases: [(authorization: String, code: String)] = [
                ("Bearer \(revoked)", "api_key_invalid"),
                ("Bearer \(expired)", "api_key_expired"),
                ("Bearer cgk_\(UUID().uuidString)", "api_key_invalid"),
                ("", "api_key_missing"),
                ("Bearer ", "api_key_missing"),
            ]
            for (authorization, code) in cases {
                let response = try await h.send(
                    endpoint.method, endpoint.path, json: endpoint.body, authorization: authorization)
                #expect(response.status == .unauthorized, "\(endpoint) with \(code)")
                #expect(response.errorCode == code, "\(endpoint)")
                #expect(response.headers[.contentType] == "application/json")
            }
            // Nothing happened: no write, no audit entry (only valid keys are audited).
            let projects = try h.store.allProjects(organization: org)
            #expect(projects.count == 2)
            #expect(projects.first { $0.id == "prj_fixed01" }?.name == "Seeded Project")
            #expect(projects.first { $0.id == "prj_fixed01" }?.status == .active)
            #expect(try h.store.allUsers(organization: org).map(\.role.known) == [.admin, .member, .guest, .member])
            #expect(try h.store.auditLog(organization: org).isEmpty)
        }
    }
}

@Suite struct OrganizationIsolationTests {
    @Test func projectsOfAnotherOrganizationAreInvisibleAndUnchanged() async throws {
        try await withSandbox { h in
            _ = try h.store.seed(betaSeed())
            for (method, body) in [(HTTPRequest.Method.get, nil), (.patch, #"{"name":"Stolen"}"#), (.delete, nil)]
                as [(HTTPRequest.Method, String?)]
            {
                let response = try await h.send(method, "/v1/projects/prj_beta01", json: body)
                #expect(response.status == .notFound, "\(method)")
                #expect(response.errorCode == "not_found")
            }
            for query in ["status=all", "status=archived", "external_id=beta-1&status=all", "page_size=100&status=all"] {
                let page: Page<Project> = try await h.send(.get, "/v1/projects?\(query)").decode()
                #expect(!page.items.contains { $0.id == "prj_beta01" || $0.externalID == "beta-1" }, "\(query)")
            }
            let filtered: Page<Project> = try await h.send(.get, "/v1/projects?external_id=beta-1&status=all").decode()
            #expect(filtered.total == 0)
            let all: Page<Project> = try await h.send(.get, "/v1/projects?status=all").decode()
            #expect(all.total == 2)

            let beta = try #require(try h.store.allProjects(organization: "Beta Corp").first)
            #expect(beta.name == "Beta Secret" && beta.status == .active && beta.externalID == "beta-1")
        }
    }

    @Test func membersOfAnotherOrganizationAreInvisibleAndUnchanged() async throws {
        try await withSandbox { h in
            _ = try h.store.seed(betaSeed())
            let ana = try h.userID("ana@acme.example")
            let bob = try h.userID("bob@beta.example", organization: "Beta Corp")
            let attempts: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/v1/projects/prj_beta01/members", nil),
                // An A user into B's project, B's own user into B's project, B's user out of B's project.
                (.put, "/v1/projects/prj_beta01/members/\(ana)", #"{"role":"owner"}"#),
                (.put, "/v1/projects/prj_beta01/members/\(bob)", #"{"role":"viewer"}"#),
                (.delete, "/v1/projects/prj_beta01/members/\(bob)", nil),
                // B's user into and out of A's project.
                (.put, "/v1/projects/prj_fixed01/members/\(bob)", #"{"role":"owner"}"#),
                (.delete, "/v1/projects/prj_fixed01/members/\(bob)", nil),
            ]
            for (method, path, body) in attempts {
                let response = try await h.send(method, path, json: body)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(response.errorCode == "not_found", "\(method) \(path)")
            }
            let betaMembers = try h.store.members(organization: "Beta Corp", projectID: "prj_beta01")
            #expect(betaMembers.map(\.userID) == [bob])
            #expect(betaMembers.first?.role == .owner)
            #expect(try h.store.members(organization: h.sandbox.organization!.id, projectID: "prj_fixed01").map(\.userID) == [ana])
            // The attempts are audited in A's organization only.
            #expect(try h.store.auditLog(organization: "Beta Corp").isEmpty)
            #expect(try h.store.auditLog(organization: h.sandbox.organization!.id).count == 5)
        }
    }

    @Test func usersOfAnotherOrganizationAreInvisibleAndUnchanged() async throws {
        try await withSandbox { h in
            _ = try h.store.seed(betaSeed())
            let bob = try h.userID("bob@beta.example", organization: "Beta Corp")
            for body in [#"{"role":"guest"}"#, #"{"external_id":"E-1"}"#, #"{"external_id":null}"#] {
                let response = try await h.send(.patch, "/v1/users/\(bob)", json: body)
                #expect(response.status == .notFound, "\(body)")
                #expect(response.errorCode == "not_found")
            }
            for query in ["", "?page_size=100", "?email=bob@beta.example", "?email=BOB%40BETA.EXAMPLE"] {
                let page: Page<User> = try await h.send(.get, "/v1/users\(query)").decode()
                #expect(!page.items.contains { $0.id == bob || $0.email.hasSuffix("@beta.example") }, "\(query)")
            }
            let filtered: Page<User> = try await h.send(.get, "/v1/users?email=bob%40beta.example").decode()
            #expect(filtered.total == 0)
            // Another organization's external id is no conflict here.
            let ben = try h.userID("ben@acme.example")
            #expect(try await h.send(.patch, "/v1/users/\(ben)", json: #"{"external_id":"B-1"}"#).status == .ok)
            let stored = try #require(try h.store.allUsers(organization: "Beta Corp").first { $0.id == bob })
            #expect(stored.role == .admin && stored.externalID == "B-1")
        }
    }

    /// A 404 for something that exists in another organization is byte-for-byte the 404 for something that does
    /// not exist at all: the same request is sent while the row exists in B and after it is gone.
    @Test func notFoundRevealsNothingAboutOtherOrganizations() async throws {
        try await withSandbox { h in
            _ = try h.store.seed(betaSeed())
            let ana = try h.userID("ana@acme.example")
            let bob = try h.userID("bob@beta.example", organization: "Beta Corp")
            let requests: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/v1/projects/prj_beta01", nil),
                (.patch, "/v1/projects/prj_beta01", #"{"name":"x"}"#),
                (.delete, "/v1/projects/prj_beta01", nil),
                (.get, "/v1/projects/prj_beta01/members", nil),
                (.put, "/v1/projects/prj_beta01/members/\(ana)", #"{"role":"viewer"}"#),
                (.delete, "/v1/projects/prj_beta01/members/\(bob)", nil),
                (.put, "/v1/projects/prj_fixed01/members/\(bob)", #"{"role":"viewer"}"#),
                (.delete, "/v1/projects/prj_fixed01/members/\(bob)", nil),
                (.patch, "/v1/users/\(bob)", #"{"role":"guest"}"#),
            ]
            func bodies() async throws -> [Data] {
                var result: [Data] = []
                for (method, path, body) in requests {
                    let response = try await h.send(method, path, json: body)
                    #expect(response.status == .notFound, "\(method) \(path)")
                    result.append(response.data)
                }
                return result
            }
            let whileTheyExist = try await bodies()
            try await h.store.pool.write { db in
                try db.execute(sql: "DELETE FROM members WHERE project_id = 'prj_beta01'")
                try db.execute(sql: "DELETE FROM projects WHERE id = 'prj_beta01'")
                try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [bob])
            }
            let afterTheyAreGone = try await bodies()
            #expect(whileTheyExist == afterTheyAreGone)
            // Nor does the message name anything of B's beyond the id the caller sent.
            for body in whileTheyExist {
                let text = String(decoding: body, as: UTF8.self)
                #expect(!text.contains("Beta") && !text.contains("beta.example") && !text.contains("beta-1"), "\(text)")
            }
        }
    }
}

@Suite struct KeyStorageTests {
    /// No file of the database (main, WAL, shared memory) ever holds a key: not while the server runs with the
    /// WAL full of fresh pages, not after a checkpoint; neither a valid key nor a wrong one that was presented.
    @Test func databaseFilesNeverContainAKey() async throws {
        try await withSandbox(configure: { $0.apiKey = "cgk_seeded_marker_\(UUID().uuidString)" }) { h in
            let org = h.sandbox.organization!.id
            let created = try h.store.createAPIKey(organization: org, name: "cli", expiresAt: Date().addingTimeInterval(3600))
            let wrong = "cgk_wrong_marker_\(UUID().uuidString)"
            for key in [h.key, created] {
                #expect(try await h.send(.post, "/v1/projects", json: #"{"name":"With key"}"#, key: key).status == .created)
                #expect(try await h.send(.patch, "/v1/projects/prj_fixed01", json: #"{"description":"d"}"#, key: key).status == .ok)
            }
            #expect(try await h.send(.get, "/v1/users", key: wrong).status == .unauthorized)
            // The key in the actor header is the caller's choice, so it is not used here; the key name is stored.
            func scan() throws {
                var bytes = Data()
                for suffix in ["", "-wal", "-shm"] {
                    bytes.append((try? Data(contentsOf: URL(fileURLWithPath: h.store.path + suffix))) ?? Data())
                }
                #expect(bytes.count > 4096)
                for key in [h.key, created, wrong] {
                    #expect(bytes.range(of: Data(key.utf8)) == nil, "a raw key is in the database files")
                }
                for key in [h.key, created] {
                    #expect(bytes.range(of: Data(SandboxStore.hash(key: key).utf8)) != nil)
                }
            }
            try scan()
            _ = try await h.store.pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            try scan()
        }
    }

    @Test func hashIsSHA256Hex() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        #expect(SandboxStore.hash(key: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

@Suite struct HostileRequestTests {
    // MARK: - Body size

    @Test(arguments: [
        Endpoint(method: .post, path: "/v1/projects", body: #"{"name":"fits"}"#),
        Endpoint(method: .patch, path: "/v1/projects/prj_fixed01", body: #"{"name":"fits"}"#),
        Endpoint(method: .put, path: "/v1/projects/prj_fixed01/members/USER", body: #"{"role":"viewer"}"#),
        Endpoint(method: .patch, path: "/v1/users/USER", body: #"{"role":"member"}"#),
    ])
    func bodyAtTheLimitPassesOneByteMoreIs413(endpoint: Endpoint) async throws {
        let limit = 300
        try await withSandbox(configure: { $0.maxBodyBytes = limit }) { h in
            let path = endpoint.path.replacingOccurrences(of: "USER", with: try h.userID("ben@acme.example"))
            let base = try #require(endpoint.body)
            // Trailing whitespace keeps the JSON valid at any length.
            let atLimit = base + String(repeating: " ", count: limit - base.utf8.count)
            let accepted = try await h.send(endpoint.method, path, json: atLimit)
            #expect((200..<300).contains(accepted.status.code), "\(endpoint): \(accepted.text)")
            let over = try await h.send(endpoint.method, path, json: atLimit + " ")
            #expect(over.status == .contentTooLarge, "\(endpoint)")
            #expect(over.errorCode == "payload_too_large")
            #expect(over.headers[.contentType] == "application/json")

            // The same without Content-Length, in chunks: the limit counts the bytes that arrive.
            for (body, expected) in [(atLimit, true), (atLimit + " ", false)] {
                var request = rawRequestHead(
                    endpoint.method.rawValue, path, key: h.key,
                    extra: ["Content-Type: application/json", "Transfer-Encoding: chunked"])
                var rest = Substring(body)
                while !rest.isEmpty {
                    let chunk = rest.prefix(64)
                    rest = rest.dropFirst(64)
                    request.append(Data("\(String(chunk.utf8.count, radix: 16))\r\n\(chunk)\r\n".utf8))
                }
                request.append(Data("0\r\n\r\n".utf8))
                let port = h.sandbox.port
                let response = try await rawHTTP(port: port, request)
                if expected {
                    #expect((200..<300).contains(response.status), "\(endpoint) chunked at the limit")
                } else {
                    #expect(response.status == 413, "\(endpoint) chunked over the limit")
                    #expect(response.header("Content-Type") == "application/json")
                    let envelope = try JSONDecoder().decode(ErrorEnvelope.self, from: response.body)
                    #expect(envelope.error.code == "payload_too_large")
                }
            }
        }
    }

    @Test func hugeChunkedBodyIsCutOffAtTheDefaultLimit() async throws {
        try await withSandbox { h in
            // 2 MiB announced in chunks of 64 KiB against the 1 MiB default.
            var request = rawRequestHead(
                "POST", "/v1/projects", key: h.key, extra: ["Content-Type: application/json", "Transfer-Encoding: chunked"])
            let chunk = Data(repeating: UInt8(ascii: "["), count: 65536)
            for _ in 0..<32 {
                request.append(Data("10000\r\n".utf8))
                request.append(chunk)
                request.append(Data("\r\n".utf8))
            }
            request.append(Data("0\r\n\r\n".utf8))
            let port = h.sandbox.port
            let response = try await rawHTTP(port: port, request)
            #expect(response.status == 413)
            #expect(try JSONDecoder().decode(ErrorEnvelope.self, from: response.body).error.code == "payload_too_large")
            #expect(try await h.send(.get, "/v1/users").status == .ok)
        }
    }

    // MARK: - Malformed JSON

    static let malformedBodies: [(label: String, body: Data)] = [
        ("truncated object", Data(#"{"name":"x""#.utf8)),
        ("truncated string", Data(#"{"name":"x"#.utf8)),
        ("missing value", Data(#"{"name":}"#.utf8)),
        ("single quotes", Data("{'name':'x'}".utf8)),
        ("two documents", Data(#"{"name":"x"}{"name":"y"}"#.utf8)),
        ("invalid UTF-8 in a string", Data([0x7B, 0x22, 0x6E, 0x61, 0x6D, 0x65, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D])),
        ("overlong UTF-8 slash", Data([0x7B, 0x22, 0x6E, 0x61, 0x6D, 0x65, 0x22, 0x3A, 0x22, 0xC0, 0xAF, 0x22, 0x7D])),
        ("lone surrogate escape", Data(#"{"name":"\ud800"}"#.utf8)),
        ("NUL byte outside strings", Data([0x7B, 0x00, 0x7D])),
        ("empty", Data()),
        ("whitespace only", Data("  \n ".utf8)),
    ]

    @Test func malformedJSONIsBadRequestOnEveryBodyRoute() async throws {
        try await withSandbox { h in
            let ben = try h.userID("ben@acme.example")
            let paths: [(HTTPRequest.Method, String)] = [
                (.post, "/v1/projects"), (.patch, "/v1/projects/prj_fixed01"),
                (.put, "/v1/projects/prj_fixed01/members/\(ben)"), (.patch, "/v1/users/\(ben)"),
            ]
            for (method, path) in paths {
                for (label, body) in Self.malformedBodies {
                    let response = try await h.send(method, path, body: body)
                    #expect(response.status == .badRequest, "\(method) \(path): \(label) → \(response.text)")
                    #expect(response.errorCode == "bad_request", "\(label)")
                }
            }
            #expect(try h.store.allProjects(organization: "Acme Test").count == 2)
        }
    }

    /// Valid JSON that is not an object is well-formed but invalid: 422 with the detail field `body`
    /// (docs/sandbox.md, assumptions).
    @Test func wrongTopLevelTypeIsValidationError() async throws {
        try await withSandbox { h in
            for body in ["[]", #"["name","x"]"#, #""name""#, "42", "null", "true"] {
                let response = try await h.send(.post, "/v1/projects", json: body)
                #expect(response.status == .unprocessableContent, "\(body)")
                #expect(response.errorDetails.map(\.field) == ["body"], "\(body)")
            }
        }
    }

    @Test func deeplyNestedJSONIsRefusedQuickly() async throws {
        try await withSandbox { h in
            let depth = 100_000
            let bodies: [(String, String)] = [
                ("100k [", String(repeating: "[", count: depth)),
                ("100k [ closed", String(repeating: "[", count: depth) + String(repeating: "]", count: depth)),
                ("100k objects", String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)),
                ("nested inside a field", #"{"name":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"),
            ]
            let clock = ContinuousClock()
            for (label, body) in bodies {
                let start = clock.now
                let response = try await h.send(.post, "/v1/projects", json: body)
                let elapsed = clock.now - start
                #expect(response.status == .badRequest || response.status == .unprocessableContent, "\(label): \(response.status)")
                #expect(response.errorCode == "bad_request" || response.errorCode == "validation_error", "\(label)")
                #expect(elapsed < .seconds(10), "\(label) took \(elapsed)")
            }
            // Still serving.
            #expect(try await h.send(.get, "/v1/projects").status == .ok)
            #expect(try h.store.allProjects(organization: "Acme Test").count == 2)
        }
    }

    // MARK: - Pagination

    static let listPaths = ["/v1/projects", "/v1/users", "/v1/projects/prj_fixed01/members"]

    @Test(arguments: listPaths)
    func hugePageNumbersArePastTheEnd(path: String) async throws {
        try await withSandbox { h in
            let cases: [(query: String, page: Int, pageSize: Int)] = [
                ("page=9223372036854775807", Int.max, 50),
                ("page=9223372036854775807&page_size=1", Int.max, 1),
                ("page=9223372036854775807&page_size=100", Int.max, 100),
                ("page=9223372036854775808", Int.max, 50),
                ("page=99999999999999999999", Int.max, 50),
                ("page=" + String(repeating: "9", count: 10_000), Int.max, 50),
                ("page=184467440737095516", 184_467_440_737_095_516, 50),
                ("page=000001", 1, 50),
            ]
            for (query, page, pageSize) in cases {
                let response = try await h.send(.get, "\(path)?\(query)")
                #expect(response.status == .ok, "\(path)?\(query.prefix(60))")
                let object = try #require(try JSONSerialization.jsonObject(with: response.data) as? [String: Any])
                #expect((object["page"] as? NSNumber)?.int64Value == Int64(page), "\(query.prefix(60))")
                #expect((object["page_size"] as? NSNumber)?.intValue == pageSize)
                let items = try #require(object["items"] as? [Any])
                #expect(page == 1 ? !items.isEmpty : items.isEmpty, "\(query.prefix(60))")
            }
        }
    }

    @Test(arguments: listPaths)
    func badPageAndPageSizeAreBadRequest(path: String) async throws {
        try await withSandbox { h in
            let bad = [
                "page=0", "page=-1", "page=-9223372036854775808", "page=abc", "page=", "page=+1", "page= 1", "page=1 ",
                "page=1e3", "page=0x10", "page=1.0", "page=١", "page=１", "page=1%00",
                "page_size=0", "page_size=101", "page_size=-1", "page_size=99999999999999999999", "page_size=abc",
                "page_size=", "page_size=+5", "page_size=1e2", "page_size=50.0", "page_size=%E2%91%A0",
            ]
            for query in bad {
                let parts = query.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let value = parts[1].removingPercentEncoding ?? String(parts[1])
                let encoded = "\(parts[0])=\(percentEncoded(value))"
                let response = try await h.send(.get, "\(path)?\(encoded)")
                #expect(response.status == .badRequest, "\(path)?\(query)")
                #expect(response.errorCode == "bad_request", "\(query)")
            }
            for query in ["page_size=1", "page_size=100", "page_size=0100", "page=1&page_size=1"] {
                #expect(try await h.send(.get, "\(path)?\(query)").status == .ok, "\(path)?\(query)")
            }
        }
    }

    // MARK: - Ids and filters

    static let hostileIDs: [String] = [
        "../../v1/users",
        "%2e%2e%2f%2e%2e%2fv1%2fusers",
        "..%2F..%2Fv1%2Fusers",
        "prj_1'%20OR%20'1'%3D'1",
        "%22%3B%20DROP%20TABLE%20projects%3B%20--",
        "prj_fixed01'%3B%20DELETE%20FROM%20projects%3B%20--",
        "prj_fixed01%00",
        "prj_fixed01%00x",
        "%00",
        "prj_fixed%25",
        "prj_fixed0_",
        "%25",
        "*",
        "PRJ_FIXED01",
        "prj_fixed01%20",
        "%E2%80%AEprj_fixed01",
        "prj_%F0%9F%98%80",
        "%FF%FE",
        String(repeating: "a", count: 10 * 1024),
    ]

    @Test func hostileProjectIDsAreNotFound() async throws {
        try await withSandbox { h in
            let ben = try h.userID("ben@acme.example")
            for id in Self.hostileIDs {
                let attempts: [(HTTPRequest.Method, String, String?)] = [
                    (.get, "/v1/projects/\(id)", nil),
                    (.patch, "/v1/projects/\(id)", #"{"name":"Pwned"}"#),
                    (.delete, "/v1/projects/\(id)", nil),
                    (.get, "/v1/projects/\(id)/members", nil),
                    (.put, "/v1/projects/\(id)/members/\(ben)", #"{"role":"owner"}"#),
                    (.delete, "/v1/projects/\(id)/members/\(ben)", nil),
                ]
                for (method, path, body) in attempts {
                    let response = try await h.send(method, path, json: body)
                    #expect(response.status == .notFound, "\(method) \(path.prefix(80)) → \(response.status)")
                    #expect(response.errorCode == "not_found")
                    #expect(response.headers[.contentType] == "application/json")
                }
            }
            try expectSeedUnchanged(h)
        }
    }

    @Test func hostileUserIDsAreNotFound() async throws {
        try await withSandbox { h in
            let ana = try h.userID("ana@acme.example")
            // The NUL cases aim at the real ids: the database must not see a string cut at U+0000.
            for id in Self.hostileIDs + ["\(ana)%00", "\(ana)%00x", "\(ana.uppercased())", "\(ana)%25"] {
                let attempts: [(HTTPRequest.Method, String, String?)] = [
                    (.patch, "/v1/users/\(id)", #"{"role":"guest"}"#),
                    (.put, "/v1/projects/prj_fixed01/members/\(id)", #"{"role":"viewer"}"#),
                    (.delete, "/v1/projects/prj_fixed01/members/\(id)", nil),
                ]
                for (method, path, body) in attempts {
                    let response = try await h.send(method, path, json: body)
                    #expect(response.status == .notFound, "\(method) \(path.prefix(80)) → \(response.status)")
                    #expect(response.errorCode == "not_found")
                }
            }
            try expectSeedUnchanged(h)
        }
    }

    @Test func nulInAPathIDIsAuditedPercentEncoded() async throws {
        try await withSandbox { h in
            #expect(try await h.send(.patch, "/v1/projects/prj_fixed01%00x", json: #"{"name":"x"}"#).status == .notFound)
            let entry = try #require(try h.store.auditLog(organization: "Acme Test").first)
            #expect(entry.path == "/v1/projects/prj_fixed01%00x")
            #expect(entry.status == 404)
        }
    }

    @Test func filtersMatchExactlyNeverAsPatterns() async throws {
        try await withSandbox { h in
            for externalID in ["a%c", "a_c", "abc", "a\\c"] {
                let body = try String(decoding: JSONEncoder().encode(["name": externalID, "external_id": externalID]), as: UTF8.self)
                #expect(try await h.send(.post, "/v1/projects", json: body).status == .created)
            }
            let projectCases: [(filter: String, expected: [String])] = [
                ("a%c", ["a%c"]), ("a_c", ["a_c"]), ("abc", ["abc"]), ("a\\c", ["a\\c"]), ("%", []), ("a%", []),
                ("_bc", []), ("%c", []), ("A%C", []), ("seeded-1", ["seeded-1"]), ("seeded-1\u{0}", []),
                ("seeded-1\u{0}x", []), ("\u{0}", []), ("seeded-%", []), ("' OR '1'='1", []),
                ("seeded-1' OR '1'='1", []), ("\"; DROP TABLE projects; --", []), ("", []),
            ]
            for (filter, expected) in projectCases {
                let response = try await h.send(.get, "/v1/projects?status=all&external_id=\(percentEncoded(filter))")
                #expect(response.status == .ok, "external_id=\(filter.debugDescription): \(response.text)")
                let page: Page<Project> = try response.decode()
                #expect(page.items.compactMap(\.externalID) == expected, "external_id=\(filter.debugDescription)")
                #expect(page.total == expected.count)
            }
            let userCases: [(filter: String, expected: [String])] = [
                ("ana@acme.example", ["ana@acme.example"]), ("ANA@ACME.EXAMPLE", ["ana@acme.example"]), ("%", []),
                ("%@acme.example", []), ("_na@acme.example", []), ("ana@acme.example\u{0}", []),
                ("ana@acme.example\u{0}x", []), ("ana@acme.example' OR '1'='1", []), ("%%", []), ("", []),
            ]
            for (filter, expected) in userCases {
                let response = try await h.send(.get, "/v1/users?email=\(percentEncoded(filter))")
                #expect(response.status == .ok, "email=\(filter.debugDescription): \(response.text)")
                let page: Page<User> = try response.decode()
                #expect(page.items.map(\.email) == expected, "email=\(filter.debugDescription)")
                #expect(page.total == expected.count)
            }
            #expect(try h.store.allProjects(organization: "Acme Test").count == 6)
        }
    }

    private func expectSeedUnchanged(_ h: Harness) throws {
        let projects = try h.store.allProjects(organization: "Acme Test")
        #expect(projects.map(\.name) == ["Seeded Project", "Old One"])
        #expect(projects.map(\.status.known) == [.active, .archived])
        let ana = try h.userID("ana@acme.example")
        let members = try h.store.members(organization: "Acme Test", projectID: "prj_fixed01")
        #expect(members.map(\.userID) == [ana])
        #expect(members.map(\.role.known) == [.owner])
        let users = try h.store.allUsers(organization: "Acme Test")
        #expect(users.map(\.role.known) == [.admin, .member, .guest, .member])
    }

    // MARK: - Header injection

    @Test func controlCharactersInTheActorHeaderAreRejectedByTheParser() async throws {
        try await withSandbox { h in
            let port = h.sandbox.port
            let values: [(String, [UInt8])] = [
                ("bare LF", Array("eve\nX-Injected: 1".utf8)),
                ("bare CR", Array("eve\rX-Injected: 1".utf8)),
                ("obs-fold", Array("eve\r\n folded".utf8)),
                ("NUL", [0x65, 0x00, 0x76]),
                ("ESC", Array("eve\u{1B}[31mred".utf8)),
                ("DEL", [0x65, 0x7F, 0x76]),
            ]
            for (label, value) in values {
                var request = Data("PATCH /v1/projects/prj_fixed01 HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8)
                request.append(Data("Authorization: Bearer \(h.key)\r\nX-Forwarded-User: ".utf8))
                request.append(contentsOf: value)
                let body = #"{"name":"Injected"}"#
                request.append(Data("\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8))
                let response = try await rawHTTP(port: port, request)
                #expect(response.status == 400, "\(label)")
            }
            // Nothing reached the application: no rename, no audit entry.
            #expect(try h.store.allProjects(organization: "Acme Test").first?.name == "Seeded Project")
            #expect(try h.store.auditLog(organization: "Acme Test").isEmpty)
        }
    }

    @Test func actorIsStoredWithoutControlOrFormatCharactersAndBounded() async throws {
        try await withSandbox { h in
            let port = h.sandbox.port
            let long = String(repeating: "x", count: 5000)
            let cases: [(sent: String, stored: String)] = [
                ("ana@acme.example", "ana@acme.example"),
                ("José Ñúñez", "José Ñúñez"),
                ("eve\tx", "eve\u{FFFD}x"),
                ("eve\u{9B}31m", "eve\u{FFFD}31m"),  // C1 CSI, sent as UTF-8
                ("\u{202E}elpmaxe.emca@ana", "\u{FFFD}elpmaxe.emca@ana"),  // right-to-left override
                ("a\u{200B}b", "a\u{FFFD}b"),
                (long, String(repeating: "x", count: SandboxResponder.maxActorLength) + "…"),
            ]
            for (sent, _) in cases {
                var request = Data("PATCH /v1/projects/prj_fixed01 HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8)
                request.append(Data("Authorization: Bearer \(h.key)\r\nX-Forwarded-User: \(sent)\r\n".utf8))
                request.append(Data("Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".utf8))
                let response = try await rawHTTP(port: port, request)
                #expect(response.status == 200, "\(sent.prefix(40).debugDescription)")
            }
            let actors = try h.store.auditLog(organization: "Acme Test").reversed().map(\.actor)
            #expect(actors == cases.map(\.stored))
        }
    }

    @Test func auditActorSanitizer() {
        #expect(SandboxResponder.auditActor(nil) == nil)
        #expect(SandboxResponder.auditActor("") == "")
        #expect(SandboxResponder.auditActor("a\u{0}b\u{1B}c\u{7F}d\r\ne") == "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}\u{FFFD}e")
        let long = String(repeating: "é", count: 300)
        #expect(SandboxResponder.auditActor(long) == String(repeating: "é", count: SandboxResponder.maxActorLength) + "…")
    }
}
