import CogramAPI
import Foundation
import Testing

@Suite("Configuration and settings")
struct ConfigurationTests {
    @Test(arguments: [
        "https://api.cogram.com", "https://api.cogram.com/", "http://127.0.0.1:8080", "http://127.9.8.7", "http://localhost:3000",
        "http://LOCALHOST", "http://[::1]:8080", "HTTPS://api.cogram.com/prefix",
    ])
    func acceptedURLs(_ url: String) throws {
        _ = try ClientConfiguration.validateBaseURL(url)
    }

    @Test(arguments: ["http://api.cogram.com", "http://127.example.com", "http://10.0.0.1:8080", "http://128.0.0.1", "http://[::2]"])
    func plainHTTPIsRefusedForRemoteHosts(_ url: String) throws {
        #expect(throws: ConfigurationError.insecureURL(url)) { try ClientConfiguration.validateBaseURL(url) }
        let error = ConfigurationError.insecureURL(url)
        #expect(error.description == "refusing plain http:// API URL '\(url)': the API key would be sent unencrypted; use https://, or http:// only for a loopback host (localhost, 127.0.0.1, ::1) such as the sandbox")
    }

    @Test(arguments: ["", "api.cogram.com", "ftp://api.cogram.com", "https://"])
    func malformedURLsAreRefused(_ url: String) throws {
        #expect(throws: ConfigurationError.invalidURL(url)) { try ClientConfiguration.validateBaseURL(url) }
    }

    @Test(arguments: [("https://api.cogram.com?x=1", "https://api.cogram.com?***"), ("https://user:pw@api.cogram.com", "https://***@api.cogram.com")])
    func urlsWithQueryOrCredentialsAreRefusedWithoutShowingThem(url: String, shown: String) throws {
        #expect(throws: ConfigurationError.invalidURL(shown)) { try ClientConfiguration.validateBaseURL(url) }
    }

    @Test func configurationRefusesInsecureURL() {
        #expect(throws: ConfigurationError.insecureURL("http://api.cogram.com")) {
            try ClientConfiguration(baseURL: "http://api.cogram.com", apiKey: APIKey("k"), version: "1")
        }
    }

    @Test func defaults() throws {
        let c = try ClientConfiguration(baseURL: "https://api.cogram.com", apiKey: APIKey("k"), version: "0.1.0")
        #expect(c.userAgent == "cogramctl/0.1.0")
        #expect(c.maxRetries == 5)
        #expect(c.requestsPerMinute == 1000)
        #expect(c.pageSize == 100)
        #expect(c.connectTimeout == .seconds(10))
        #expect(c.readTimeout == .seconds(30))
    }

    // MARK: - ClientSettings.resolve

    @Test func urlDefaultEnvironmentAndOption() throws {
        #expect(try ClientSettings.resolveAPIURL(nil, environment: [:]).absoluteString == "https://api.cogram.com")
        #expect(try ClientSettings.resolveAPIURL(nil, environment: ["COGRAM_API_URL": "https://eu.cogram.com"]).absoluteString == "https://eu.cogram.com")
        #expect(try ClientSettings.resolveAPIURL("http://127.0.0.1:1", environment: ["COGRAM_API_URL": "https://eu.cogram.com"]).absoluteString == "http://127.0.0.1:1")
        #expect(throws: ConfigurationError.insecureURL("http://eu.cogram.com")) {
            try ClientSettings.resolveAPIURL(nil, environment: ["COGRAM_API_URL": "http://eu.cogram.com"])
        }
    }

    @Test func keyFromEnvironment() throws {
        let s = try ClientSettings.resolve(apiURL: nil, apiKeyFile: nil, actor: nil, environment: ["COGRAM_API_KEY": "env-key\n"])
        #expect(s.apiKey.unredactedValue == "env-key")
    }

    @Test func missingKeyExplainsHowToSetIt() {
        #expect(throws: ConfigurationError.missingAPIKey) {
            try ClientSettings.resolve(apiURL: nil, apiKeyFile: nil, actor: nil, environment: ["COGRAM_API_KEY": ""])
        }
        #expect(ConfigurationError.missingAPIKey.description.contains("set COGRAM_API_KEY, or pass --api-key-file FILE"))
    }

    @Test func theManifestsKeyVariableIsTheOnlySourceOfTheKeyWhenNamed() throws {
        let environment = ["COGRAM_API_KEY": "us-key", "COGRAM_API_KEY_ACME_UK": "uk-key\n"]
        let uk = try ClientSettings.resolve(
            apiURL: nil, apiKeyFile: nil, keyVariable: "COGRAM_API_KEY_ACME_UK", actor: nil, environment: environment)
        #expect(uk.apiKey.unredactedValue == "uk-key")
        #expect(throws: ConfigurationError.missingAPIKeyVariable("COGRAM_API_KEY_ACME_DE")) {
            try ClientSettings.resolve(
                apiURL: nil, apiKeyFile: nil, keyVariable: "COGRAM_API_KEY_ACME_DE", actor: nil, environment: environment)
        }
        let message = ConfigurationError.missingAPIKeyVariable("COGRAM_API_KEY_ACME_DE").description
        #expect(message.contains("no Cogram API key in COGRAM_API_KEY_ACME_DE") && message.contains("api_key_env"))
        #expect(!message.contains("us-key"))
        let plain = try ClientSettings.resolve(apiURL: nil, apiKeyFile: nil, keyVariable: "COGRAM_API_KEY", actor: nil, environment: environment)
        #expect(plain.apiKey.unredactedValue == "us-key")
    }

    @Test func keyFileWinsAndIsTrimmed() throws {
        try withKeyFile("file-key\n", mode: 0o600) { path in
            let s = try ClientSettings.resolve(apiURL: nil, apiKeyFile: path, actor: nil, environment: ["COGRAM_API_KEY": "env-key"])
            #expect(s.apiKey.unredactedValue == "file-key")
        }
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660])
    func keyFileReadableByOthersIsRefused(mode: Int) throws {
        try withKeyFile("file-key\n", mode: mode) { path in
            #expect(throws: ConfigurationError.apiKeyFilePermissions(path: path, mode: mode)) {
                try ClientSettings.resolve(apiURL: nil, apiKeyFile: path, actor: nil, environment: [:])
            }
        }
        let octal = String(mode, radix: 8)
        #expect(ConfigurationError.apiKeyFilePermissions(path: "/k", mode: mode).description
            == "permissions 0\(octal) for '/k' are too open; run chmod 600 /k")
    }

    @Test func keyFileProblems() throws {
        try withKeyFile(" \n", mode: 0o600) { path in
            #expect(throws: ConfigurationError.apiKeyFileEmpty(path: path)) {
                try ClientSettings.resolve(apiURL: nil, apiKeyFile: path, actor: nil, environment: [:])
            }
        }
        #expect(throws: ConfigurationError.apiKeyFileUnreadable(path: "/nonexistent/key", reason: "no such file")) {
            try ClientSettings.resolve(apiURL: nil, apiKeyFile: "/nonexistent/key", actor: nil, environment: [:])
        }
    }

    @Test(arguments: [
        ([String: String](), nil as String?, nil as String?),
        (["BUILDKITE_BUILD_CREATOR_EMAIL": "bk@x"], nil, "bk@x"),
        (["GITLAB_USER_LOGIN": "gl", "BUILDKITE_BUILD_CREATOR_EMAIL": "bk@x"], nil, "gl"),
        (["GITHUB_ACTOR": "gh", "GITLAB_USER_LOGIN": "gl"], nil, "gh"),
        (["COGRAM_ACTOR": "ca", "GITHUB_ACTOR": "gh"], nil, "ca"),
        (["COGRAM_ACTOR": "", "GITHUB_ACTOR": "gh"], nil, "gh"),
        (["COGRAM_ACTOR": "ca", "GITHUB_ACTOR": "gh"], "opt", "opt"),
    ])
    func actorPrecedence(environment: [String: String], option: String?, expected: String?) throws {
        var env = environment
        env["COGRAM_API_KEY"] = "k"
        let s = try ClientSettings.resolve(apiURL: nil, apiKeyFile: nil, actor: option, environment: env)
        #expect(s.actor == expected)
    }

    private func withKeyFile(_ contents: String, mode: Int, _ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cogram-key-\(UUID().uuidString)").path
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        try body(path)
    }
}
