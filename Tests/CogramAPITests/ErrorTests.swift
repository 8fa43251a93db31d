import CogramAPI
import Foundation
import Testing

@Suite("Typed errors")
struct ErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var reply: Reply
        var status: Int
        var code: String
        var expected: String
        var testDescription: String { "\(status) \(code)" }
    }

    static let cases: [Case] = [
        Case(reply: .error(401, "api_key_missing", "no key"), status: 401, code: "api_key_missing",
             expected: "Cogram received no API key (HTTP 401 api_key_missing): no key; set COGRAM_API_KEY or pass --api-key-file FILE"),
        Case(reply: .error(401, "api_key_invalid", "unknown key"), status: 401, code: "api_key_invalid",
             expected: "Cogram rejected the API key (HTTP 401 api_key_invalid): unknown key; check COGRAM_API_KEY / --api-key-file and that the key belongs to this organization and API URL; the key may have been revoked"),
        Case(reply: .error(401, "api_key_expired", "key expired"), status: 401, code: "api_key_expired",
             expected: "the Cogram API key has expired (HTTP 401 api_key_expired): key expired; create a new key in Settings > Administration > Integrations > API Keys and set it in COGRAM_API_KEY or --api-key-file"),
        Case(reply: .error(404, "not_found", "project prj_x not found"), status: 404, code: "not_found",
             expected: "not found: GET /v1/projects/prj_x (HTTP 404 not_found): project prj_x not found; it may have been archived or deleted outside cogramctl, or the id is wrong; run plan again to see the current state"),
        Case(reply: .error(409, "conflict", "external_id taken"), status: 409, code: "conflict",
             expected: "conflict: GET /v1/projects/prj_x (HTTP 409 conflict): external_id taken; another object already uses this value or the object changed meanwhile; run plan again to see the current state"),
        Case(reply: .error(422, "validation_error", "invalid body", details: #"[{"field": "name", "message": "must not be empty"}, {"field": "status", "message": "must be active or archived"}]"#),
             status: 422, code: "validation_error",
             expected: "Cogram rejected the request body of GET /v1/projects/prj_x (HTTP 422 validation_error): invalid body; fix the value in the manifest, or report a cogramctl bug if the manifest is valid\n  - name: must not be empty\n  - status: must be active or archived"),
        Case(reply: .error(400, "bad_request", "bad page_size"), status: 400, code: "bad_request",
             expected: "Cogram refused GET /v1/projects/prj_x as malformed (HTTP 400 bad_request): bad page_size; this is probably a cogramctl bug, please report it"),
        Case(reply: .error(413, "payload_too_large", "too big"), status: 413, code: "payload_too_large",
             expected: "Cogram refused GET /v1/projects/prj_x as too large (HTTP 413 payload_too_large): too big; shorten the values sent"),
        Case(reply: .error(418, "teapot", "I am a teapot"), status: 418, code: "teapot",
             expected: "GET /v1/projects/prj_x failed (HTTP 418 teapot): I am a teapot"),
        Case(reply: .respond(status: 502, headers: [("Content-Type", "text/html")], body: "<html>\nBad gateway\n</html>"), status: 502, code: "",
             expected: "Cogram failed on GET /v1/projects/prj_x (HTTP 502) after 2 attempts: <html> Bad gateway </html>; the service may be degraded, try again later and contact Cogram support if it persists"),
    ]

    @Test(arguments: cases)
    func errorAnswersBecomeTypedErrors(_ c: Case) async throws {
        try await ScriptedServer.with(replies: [c.reply]) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL, maxRetries: 1)) {
                try await $0.getProject(id: "prj_x")
            }
            let e = try #require(error)
            #expect(e.status == c.status)
            #expect(e.code == c.code)
            #expect(e.description == c.expected.replacingOccurrences(of: "GET /v1/", with: "GET \(server.baseURL)/v1/"))
            #expect(!e.description.contains(Fixture.key))
        }
    }

    @Test func validationDetailsAreExposed() async throws {
        try await ScriptedServer.with(replies: [ErrorTests.cases[5].reply]) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.createProject(ProjectCreate(name: ""), retrySafe: false)
            }
            #expect(error?.details.map(\.field) == ["name", "status"])
            #expect(error?.message == "invalid body")
        }
    }

    @Test func invalidJSONIsReported() async throws {
        try await ScriptedServer.with(replies: [.json(200, #"{"id": 5}"#)]) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.getProject(id: "prj_1")
            }
            guard case .invalidResponse(let invalid) = error else {
                Issue.record("expected invalidResponse, got \(String(describing: error))")
                return
            }
            #expect(invalid.status == 200)
            #expect(invalid.problem == .shape(at: "id", expected: "a string", found: "5"))
            #expect(error?.description == "GET \(server.baseURL)/v1/projects/prj_1 answered HTTP 200 in a shape cogramctl does not understand: at id it expected a string but found 5; run `cogramctl doctor` to compare this server's answers with what cogramctl expects")
        }
    }

    @Test func oversizedResponseIsRefused() async throws {
        let huge = String(repeating: "x", count: 2048)
        try await ScriptedServer.with(replies: [.json(200, #"{"pad": "\#(huge)"}"#)]) { server in
            var configuration = try Fixture.configuration(server.baseURL)
            configuration.maxResponseBytes = 1024
            let (error, _) = await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
            guard case .invalidResponse = error else {
                Issue.record("expected invalidResponse, got \(String(describing: error))")
                return
            }
            #expect(server.requests.count == 1)
        }
    }
}
