import CogramAPI
import CogramSandboxTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CogramSandbox

/// A small organization for tests.
func testSeed(organization: String = "Acme Test") -> SandboxSeed {
    SandboxSeed(
        organization: organization,
        users: [
            .init(email: "ana@acme.example", name: "Ana Ruiz", role: .admin, externalID: "E-1"),
            .init(email: "Ben@Acme.example", name: "Ben Okafor", role: .member),
            .init(email: "cara@acme.example", name: "Cara Diaz", role: .guest),
            .init(email: "gone@acme.example", name: "Gone Person", role: .member, status: .deactivated),
        ],
        projects: [
            .init(
                id: "prj_fixed01", name: "Seeded Project", externalID: "seeded-1",
                members: [.init(email: "ana@acme.example", role: .owner)]),
            .init(name: "Old One", externalID: "old-1", status: .archived),
        ])
}

func temporaryDatabasePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("cogram-sandbox-\(UUID().uuidString).sqlite").path
}

/// A started sandbox with a connected client; stopped and deleted afterwards.
struct Harness: Sendable {
    let sandbox: RunningSandbox
    let client: TestClient
    let key: String

    var store: SandboxStore { sandbox.store }

    func send(
        _ method: HTTPRequest.Method, _ path: String, json: String? = nil, key: String? = nil,
        authorization: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> TestClient.Response {
        var headers = extra
        headers[.authorization] = authorization ?? "Bearer \(key ?? self.key)"
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            .init(path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }))
    }

    /// Sends a body of raw bytes (for invalid UTF-8 and the like).
    func send(
        _ method: HTTPRequest.Method, _ path: String, body: Data, key: String? = nil
    ) async throws -> TestClient.Response {
        let headers: HTTPFields = [.authorization: "Bearer \(key ?? self.key)", .contentType: "application/json"]
        return try await client.execute(.init(path, method: method, headers: headers, body: ByteBuffer(bytes: body)))
    }

    func userID(_ email: String) throws -> String {
        try #require(try store.allUsers(organization: sandbox.organization!.id).first { $0.email.lowercased() == email.lowercased() }?.id)
    }

    /// The id of the user with exactly `email` in another organization of the same database.
    func userID(_ email: String, organization: String) throws -> String {
        try #require(try store.allUsers(organization: organization).first { $0.email == email }?.id)
    }
}

func withSandbox<T: Sendable>(
    seed: SandboxSeed = testSeed(), configure: (inout SandboxOptions) -> Void = { _ in },
    _ body: (Harness) async throws -> T
) async throws -> T {
    try await TestSandbox.with(seed: seed, configure: configure) { sandbox in
        let client = TestClient(host: "127.0.0.1", port: sandbox.running.port)
        client.connect()
        do {
            let result = try await body(Harness(sandbox: sandbox.running, client: client, key: try #require(sandbox.apiKey)))
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

extension TestClient.Response {
    var data: Data { body.map { Data($0.readableBytesView) } ?? Data() }
    var text: String { String(decoding: data, as: UTF8.self) }

    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: data)
    }

    var errorCode: String? { (try? decode(ErrorEnvelope.self))?.error.code }
    var errorDetails: [ErrorEnvelope.FieldDetail] { (try? decode(ErrorEnvelope.self))?.error.details ?? [] }
}
