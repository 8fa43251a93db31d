import CogramAPI
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Keys that cannot travel in a header, key files that are not what they seem, and outside text that could
/// carry the key or terminal escapes into a message.
@Suite("Hardening: keys, key files, outside text")
struct HardeningTests {
    @Test(arguments: [
        ("ck_live\nsecond-line", "a line break", 8),
        ("ck live", "a space", 3),
        ("ck_\u{1B}[31m", "a control character", 4),
        ("ck_clé", "a non-ASCII character", 6),
    ])
    func aKeyThatIsNotPrintableASCIIIsRefusedWithoutShowingIt(key: String, kind: String, position: Int) throws {
        let error = #expect(throws: ConfigurationError.self) {
            try ClientSettings.resolve(apiURL: nil, apiKeyFile: nil, actor: nil, environment: ["COGRAM_API_KEY": key])
        }
        #expect(error == .apiKeyNotPrintable(source: "COGRAM_API_KEY", position: position, character: kind))
        let message = try #require(error?.description)
        #expect(message.hasPrefix("the API key from COGRAM_API_KEY contains \(kind) at character \(position); "))
        #expect(!message.contains("ck_"))
    }

    @Test func aTwoLineKeyFileIsRefused() throws {
        try withFile("ck_live_first\nck_live_second\n") { path in
            let error = #expect(throws: ConfigurationError.self) {
                try ClientSettings.resolve(apiURL: nil, apiKeyFile: path, actor: nil, environment: [:])
            }
            #expect(error == .apiKeyNotPrintable(source: "the file '\(path)'", position: 14, character: "a line break"))
            #expect(error?.description.contains("ck_live") == false)
        }
    }

    @Test func aKeyFileBehindASymlinkIsFollowedAndChecked() throws {
        try withFile("ck_live_linked\n") { path in
            let link = path + ".link"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
            defer { try? FileManager.default.removeItem(atPath: link) }
            let settings = try ClientSettings.resolve(apiURL: nil, apiKeyFile: link, actor: nil, environment: [:])
            #expect(settings.apiKey.unredactedValue == "ck_live_linked")
            // The target's permissions count, not the link's.
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            #expect(throws: ConfigurationError.apiKeyFilePermissions(path: link, mode: 0o644)) {
                try ClientSettings.resolve(apiURL: nil, apiKeyFile: link, actor: nil, environment: [:])
            }
        }
    }

    @Test func aDirectoryIsNotAKeyFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cogram-dir-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: ConfigurationError.apiKeyFileUnreadable(path: directory, reason: "not a regular file")) {
            try ClientSettings.resolve(apiURL: nil, apiKeyFile: directory, actor: nil, environment: [:])
        }
    }

    @Test(.enabled(if: geteuid() == 0, "changing a file's owner needs root"))
    func aKeyFileOwnedByAnotherUserIsRefused() throws {
        try withFile("ck_live_other\n") { path in
            #expect(chown(path, 65534, 65534) == 0)
            #expect(throws: ConfigurationError.apiKeyFileOwner(path: path, owner: 65534, user: 0)) {
                try ClientSettings.resolve(apiURL: nil, apiKeyFile: path, actor: nil, environment: [:])
            }
        }
    }

    @Test(arguments: [
        ("https://user:hunter2@api.cogram.com", "https://***@api.cogram.com"),
        ("https://api.cogram.com?token=hunter2", "https://api.cogram.com?***"),
        ("https://api.cogram.com/v1#hunter2", "https://api.cogram.com/v1#***"),
        ("user:hunter2@api.cogram.com", "***@api.cogram.com"),
        ("ftp://u:hunter2@x/p", "ftp://***@x/p"),
    ])
    func invalidURLErrorsNeverShowCredentials(url: String, shown: String) {
        #expect(throws: ConfigurationError.invalidURL(shown)) { try ClientConfiguration.validateBaseURL(url) }
        #expect(!ConfigurationError.invalidURL(ClientConfiguration.redactedURL(url)).description.contains("hunter2"))
    }

    @Test func anInvalidHeaderErrorNeverShowsTheKey() async throws {
        // A key that bypassed the checks above (built directly): AsyncHTTPClient refuses the header and names the
        // values in its error.
        let capture = LogCapture()
        try await ScriptedServer.with(replies: [.json(200, Fixture.project(1))]) { server in
            var configuration = try Fixture.configuration(server.baseURL, logger: capture.logger)
            configuration.apiKey = APIKey("ck_live_SECRET\nX-Injected: 1")
            let (error, _) = await CogramClient.withClientCatching(configuration) { try await $0.getProject(id: "prj_1") }
            let message = try #require(error?.description)
            #expect(message == "GET \(server.baseURL)/v1/projects/prj_1 failed: a request header holds a character HTTP does not allow (a line break or another control character, in the API key or the actor, say); the value is not shown; check the API URL, the network and any proxy")
            #expect(server.requests.isEmpty)
        }
        #expect(!capture.text.contains("SECRET"))
    }

    @Test func serverTextIsEscapedAndRedacted() async throws {
        let hostile = #"no such project\u001b[31m\n::error::pwned \#(Fixture.key)\u2028"#
        try await ScriptedServer.with(replies: [.error(404, "not_found\\u001b", hostile, details: #"[{"field": "a\u0007", "message": "b\u0085"}]"#)]) { server in
            let (error, _) = await CogramClient.withClientCatching(try Fixture.configuration(server.baseURL)) {
                try await $0.getProject(id: "prj_1")
            }
            let e = try #require(error)
            #expect(e.message == #"no such project\u{1B}[31m\u{A}::error::pwned ***\u{2028}"#)
            #expect(e.code == #"not_found\u{1B}"#)
            #expect(e.details.map(\.field) == [#"a\u{7}"#])
            #expect(e.details.map(\.message) == [#"b\u{85}"#])
            #expect(!e.description.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
            #expect(!e.description.contains("\n::error::"))
        }
    }

    @Test func safeTextEscapesEveryControlCharacterAndBoundsLength() {
        #expect(SafeText.clean("a\u{0}b\u{1F}c\u{7F}d\u{9B}e\u{2029}f") == #"a\u{0}b\u{1F}c\u{7F}d\u{9B}e\u{2029}f"#)
        #expect(SafeText.clean(String(repeating: "x", count: 10), limit: 4) == "xxxx…")
        #expect(SafeText.clean("key ck_live_SECRET_4f9a2b7c here", redacting: APIKey(Fixture.key)) == "key *** here")
    }

    private func withFile(_ contents: String, _ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cogram-key-\(UUID().uuidString)").path
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try body(path)
    }
}
