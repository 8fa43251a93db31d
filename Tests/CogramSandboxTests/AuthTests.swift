import CogramAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CogramSandbox

@Suite struct AuthTests {
    @Test func missingOrNonBearerHeaderIsApiKeyMissing() async throws {
        try await withSandbox { h in
            for authorization in ["", "Basic YW5hOnNlY3JldA==", "Bearer", "Token \(h.key)"] {
                let response = try await h.send(.get, "/v1/projects", authorization: authorization)
                #expect(response.status == .unauthorized, "\(authorization)")
                #expect(response.errorCode == "api_key_missing", "\(authorization)")
            }
        }
    }

    @Test func unknownKeyIsInvalid() async throws {
        try await withSandbox { h in
            let response = try await h.send(.get, "/v1/projects", key: "cgk_not_a_key")
            #expect(response.status == .unauthorized)
            #expect(response.errorCode == "api_key_invalid")
        }
    }

    @Test func revokedKeyIsInvalidAndExpiredKeyIsExpired() async throws {
        try await withSandbox { h in
            let org = h.sandbox.organization!.name
            let revoked = try h.store.createAPIKey(organization: org, name: "to-revoke")
            #expect(try await h.send(.get, "/v1/users", key: revoked).status == .ok)
            #expect(try h.store.revokeAPIKey(organization: org, key: "to-revoke") == 1)
            let afterRevoke = try await h.send(.get, "/v1/users", key: revoked)
            #expect(afterRevoke.status == .unauthorized)
            #expect(afterRevoke.errorCode == "api_key_invalid")

            let expired = try h.store.createAPIKey(
                organization: org, name: "old", expiresAt: Date().addingTimeInterval(-60))
            let response = try await h.send(.get, "/v1/users", key: expired)
            #expect(response.status == .unauthorized)
            #expect(response.errorCode == "api_key_expired")

            let future = try h.store.createAPIKey(organization: org, name: "later", expiresAt: Date().addingTimeInterval(3600))
            #expect(try await h.send(.get, "/v1/users", key: future).status == .ok)
            let states = Dictionary(uniqueKeysWithValues: try h.store.listAPIKeys(organization: org).map { ($0.name, $0.state) })
            #expect(states["to-revoke"] == "revoked")
            #expect(states["old"] == "expired")
            #expect(states["later"] == "active")
        }
    }

    @Test func sameApiKeyIsReusedAcrossStarts() async throws {
        let path = temporaryDatabasePath()
        for _ in 0..<2 {
            let sandbox = try await Sandbox.start(SandboxOptions(databasePath: path, seed: testSeed(), apiKey: "fixed-key"))
            try await sandbox.shutdown()
        }
        let store = try SandboxStore(path: path)
        #expect(try store.listAPIKeys().count == 1)
        try store.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test func constantTimeComparison() {
        #expect(SandboxStore.constantTimeEqual("abc", "abc"))
        #expect(!SandboxStore.constantTimeEqual("abc", "abd"))
        #expect(!SandboxStore.constantTimeEqual("abc", "abcd"))
    }
}
