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

    // MARK: - Every form of the key

    /// Whether any 8 consecutive characters of the key, in any case, appear in `text`.
    static func leaks(_ text: String, key: String = Fixture.key) -> Bool {
        let lowered = text.lowercased(), key = Array(key.lowercased())
        return (0...(key.count - 8)).contains { lowered.contains(String(key[$0..<($0 + 8)])) }
    }

    static func clean(_ text: String) -> String { SafeText.clean(text, redacting: APIKey(Fixture.key)) }

    @Test func upperAndMixedCaseAreRedacted() {
        for form in [Fixture.key.uppercased(), Fixture.key.lowercased(), "Ck_LiVe_SeCrEt_4F9a2B7c"] {
            let cleaned = Self.clean("before \(form) after")
            #expect(cleaned == "before *** after", "\(form)")
        }
    }

    @Test func percentEncodedFormsAreRedacted() {
        let everyByte = Fixture.key.utf8.map { String(format: "%%%02X", $0) }.joined()
        let lowerHex = everyByte.lowercased()
        let separatorsOnly = Fixture.key.replacingOccurrences(of: "_", with: "%5F")
        for form in [everyByte, lowerHex, separatorsOnly] {
            let cleaned = Self.clean("GET /v1?key=\(form)&x=1")
            #expect(cleaned == "GET /v1?key=***&x=1", "\(form) → \(cleaned)")
        }
    }

    @Test func jsonEscapedFormIsRedacted() {
        let escaped = Fixture.key.utf8.map { String(format: "\\u%04x", $0) }.joined()
        #expect(Self.clean("{\"k\": \"\(escaped)\"}") == "{\"k\": \"***\"}")
    }

    @Test func base64AndHexFormsAreRedacted() {
        let plain = Data(Fixture.key.utf8).base64EncodedString()
        let urlSafe = plain.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let hex = Fixture.key.utf8.map { String(format: "%02x", $0) }.joined()
        for form in [plain, urlSafe, hex, hex.uppercased()] {
            let cleaned = Self.clean("token \(form) end")
            #expect(!cleaned.contains(form.prefix(12)), "\(form) → \(cleaned)")
            #expect(cleaned.hasPrefix("token ") && cleaned.hasSuffix(" end") && cleaned.contains("***"))
        }
        // Inside a Basic credential the key starts at any alignment of the base64 groups.
        for user in ["a", "ab", "abc", "user"] {
            let credential = Data("\(user):\(Fixture.key)".utf8).base64EncodedString()
            let cleaned = Self.clean("Authorization: Basic \(credential)")
            // What can survive: the characters that also encode the user name, and the last one or two.
            #expect(cleaned.count < "Authorization: Basic ".count + 16, "\(user): \(cleaned)")
        }
    }

    @Test func anyRunOfEightCharactersIsRedacted() {
        let key = Array(Fixture.key)
        for (start, length) in [(0, 8), (0, 12), (15, 8), (5, 10), (key.count - 9, 9)] {
            let part = String(key[start..<(start + length)])
            let cleaned = Self.clean("x \(part) y")
            #expect(cleaned == "x *** y", "\(part) → \(cleaned)")
        }
        // Seven characters are not the key: short words that happen to match stay readable.
        #expect(Self.clean("x \(String(key[0..<7])) y") == "x \(String(key[0..<7])) y")
    }

    @Test func textWithoutTheKeyIsUnchanged() {
        let text = "project prj_1 was archived at 2026-01-05T10:00:00Z by ana@acme.example (request 4f9a)"
        #expect(Self.clean(text) == text)
    }

    /// A non-JSON error body with the key straddling byte 200, where the excerpt used to be cut before redaction.
    @Test func keyAcrossTheExcerptCutIsRedactedBeforeCutting() async throws {
        let body = "<html>" + String(repeating: "x", count: 188) + " " + Fixture.key + " more text</html>"
        try await ScriptedServer.with(replies: [.respond(status: 401, headers: [("Content-Type", "text/html")], body: body)]) { server in
            let configuration = try Fixture.configuration(server.baseURL)
            let (error, _) = await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
            let e = try #require(error)
            #expect(e.status == 401)
            #expect(!Self.leaks(e.description), "\(e.description)")
            #expect(!Self.leaks(e.message ?? ""))
            #expect((e.message ?? "").hasPrefix("<html>xxxx"))
        }
    }
}

