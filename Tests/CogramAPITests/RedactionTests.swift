import CogramAPI
import Foundation
import Testing

@Suite("The API key never shows")
struct RedactionTests {
    @Test func keyAbsentFromDescriptionsAndDumps() throws {
        let key = APIKey(Fixture.key)
        let configuration = try Fixture.configuration("https://api.cogram.com")
        let settings = ClientSettings(apiURL: URL(string: "https://api.cogram.com")!, apiKey: key, actor: nil)
        var dumped = ""
        dump(configuration, to: &dumped)
        dump(settings, to: &dumped)
        for text in ["\(key)", String(reflecting: key), "\(configuration)", "\(settings)", String(reflecting: settings), dumped] {
            #expect(!text.contains(Fixture.key))
        }
        #expect("\(configuration)".contains("apiKey: ***"))
        #expect(key.unredactedValue == Fixture.key)
    }

    @Test func keyAbsentFromLogsAndErrorsEvenWhenTheServerEchoesIt() async throws {
        let capture = LogCapture()
        try await ScriptedServer.with(replies: [
            .error(503, "unavailable", "bad key \(Fixture.key)"),
            .error(401, "api_key_invalid", "key \(Fixture.key) is revoked", details: #"[{"field": "\#(Fixture.key)", "message": "\#(Fixture.key)"}]"#),
        ]) { server in
            let configuration = try Fixture.configuration(server.baseURL, logger: capture.logger)
            let (error, _) = await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
            let e = try #require(error)
            #expect(e.status == 401)
            #expect(!e.description.contains(Fixture.key))
            #expect(!(e.message ?? "").contains(Fixture.key))
            #expect(!"\(e.details)".contains(Fixture.key))
            #expect(e.message == "key *** is revoked")
            // The server did receive the key.
            #expect(server.requests.first?.header("Authorization") == "Bearer \(Fixture.key)")
        }
        let logs = capture.text
        #expect(logs.contains("Authorization: Bearer ***"))
        #expect(logs.contains("→ GET"))
        #expect(logs.contains("← 503 GET"))
        #expect(logs.contains("retrying GET"))
        #expect(!logs.contains(Fixture.key))
    }
}
