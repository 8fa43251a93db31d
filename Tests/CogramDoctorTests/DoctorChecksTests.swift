import CogramAPI
@testable import CogramDoctor
import CogramSandbox
import CogramSandboxTestSupport
import CogramTestSupport
import Foundation
import Testing

/// Runs every check after the configuration ones against a sandbox on loopback.
private func doctor(_ sandbox: TestSandbox) async throws -> DoctorChecks {
    var configuration = try sandbox.clientConfiguration()
    configuration.maxRetries = 0
    var checks = DoctorChecks(configuration: configuration)
    checks.keySource = "from a test"
    try await CogramClient.withClient(configuration) { client in
        await checks.run(client: client)
    }
    return checks
}

private func check(_ name: String, in checks: DoctorChecks) throws -> DoctorCheck {
    try #require(checks.checks.first { $0.name == name }, "\(name) in \(checks.checks.map(\.name))")
}

@Suite struct DoctorChecksTests {
    @Test func theSandboxPassesEveryCheck() async throws {
        try await TestSandbox.with(seed: TestSandbox.exampleSeed()) { sandbox in
            let checks = try await doctor(sandbox)
            #expect(checks.checks.map(\.name) == [
                "connection", "cogram-api", "authentication", "projects", "users", "members", "filter external_id",
                "filter email", "rate-limit headers", "openapi",
            ])
            for found in checks.checks {
                #expect(found.status == .ok, "\(found.name): \(found.detail) \(found.lines)")
            }
            #expect(try check("authentication", in: checks).detail == "the key is accepted (from a test)")
            #expect(try check("openapi", in: checks).detail.hasPrefix("/v1/openapi.yaml: all "))
            #expect(checks.failedCount == 0)
            #expect(checks.humanReport(apiURL: sandbox.baseURL).hasSuffix("0 failed, 0 warnings.\n"))
        }
    }

    @Test func aWrongKeyFailsAuthenticationAndSkipsTheRest() async throws {
        try await TestSandbox.with(seed: TestSandbox.exampleSeed()) { sandbox in
            var configuration = try sandbox.clientConfiguration(key: "wrong-key-0123456789")
            configuration.maxRetries = 0
            var checks = DoctorChecks(configuration: configuration)
            try await CogramClient.withClient(configuration) { client in await checks.run(client: client) }
            let authentication = try check("authentication", in: checks)
            #expect(authentication.status == .fail)
            #expect(authentication.detail.hasPrefix("key invalid (HTTP 401 api_key_invalid)"))
            #expect(try check("projects", in: checks).status == .skip)
            #expect(try check("openapi", in: checks).detail == "not checked: authentication failed")
        }
    }

    @Test func aDataEnvelopeIsToleratedWithAWarning() async throws {
        try await TestSandbox.with(seed: TestSandbox.exampleSeed(), configure: { $0.dialects = [.dataEnvelope] }) { sandbox in
            let projects = try check("projects", in: try await doctor(sandbox))
            #expect(projects.status == .warn)
            #expect(projects.lines.contains("the list is under \u{201C}data\u{201D}, not \u{201C}items\u{201D}"), "\(projects.lines)")
        }
    }

    @Test func pageDifferencesNameWhatDiffers() {
        let body = Data("""
            {"data": [{"id": "p1", "status": "paused", "colour": "red"}, {"id": "p2", "status": "active"}],
             "meta": {"total": 2}, "cursor": null}
            """.utf8)
        let lines = DoctorChecks.pageDifferences(body, itemKeys: ["id", "status"])
        #expect(lines == [
            "the list is under \u{201C}data\u{201D}, not \u{201C}items\u{201D}",
            "the total is under \u{201C}meta\u{201D}",
            "extra page fields: cursor, meta",
            "extra item fields (ignored): colour",
            "unknown status values: paused",
        ])
        #expect(DoctorChecks.pageDifferences(Data(#"{"items": [], "page": 1, "page_size": 5, "total": 0}"#.utf8), itemKeys: ["id"]).isEmpty)
        #expect(DoctorChecks.pageDifferences(Data("not json".utf8), itemKeys: ["id"]).isEmpty)
    }
}

@Suite struct OpenAPIDocumentTests {
    /// Nine levels of nine aliases: 342 bytes (the issue's was 415) that a parser without limits expands to 9^9 nodes.
    static let nestedAliases: String = {
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        return text
    }()

    @Test func nestedAliasesAreRefusedNotExpanded() throws {
        let data = Data(Self.nestedAliases.utf8)
        #expect(data.count == 342)
        guard case .failure(let refusal) = DoctorChecks.parseOpenAPI(data, path: "/v1/openapi.yaml") else {
            Issue.record("a document of nested aliases was expanded")
            return
        }
        #expect(refusal.description.hasPrefix("cannot read /v1/openapi.yaml:"), "\(refusal)")
        #expect(refusal.description.contains("aliases expand to more than 100000 nodes"), "\(refusal)")
    }

    @Test func aDocumentOverTheByteLimitIsRefused() throws {
        let data = Data(#"{"openapi": "3.1.0"}"#.utf8)
        let result = DoctorChecks.parseOpenAPI(data, path: "/v1/openapi.json", limits: .init(maxFileBytes: 10))
        guard case .failure(let refusal) = result else {
            Issue.record("read a document over the byte limit")
            return
        }
        #expect(refusal.description == "/v1/openapi.json is 20 bytes, more than the 10 cogramctl reads")
    }

    @Test func jsonAndYAMLReadAlike() throws {
        let json = Data(#"{"a": {"type": "string", "enum": ["x", "y"], "n": 5, "flag": true, "none": null}, "list": [1.5, "t"]}"#.utf8)
        let yaml = Data("a:\n  type: string\n  enum: [x, y]\n  n: 5\n  flag: true\n  none: ~\nlist:\n  - 1.5\n  - t\n".utf8)
        let fromJSON = try DoctorChecks.parseOpenAPI(json, path: "j").get()
        let fromYAML = try DoctorChecks.parseOpenAPI(yaml, path: "y").get()
        #expect(fromJSON == fromYAML)
        #expect(fromJSON == JSONValue(json: json))
        #expect(fromJSON["a"]?["enum"] == .array([.string("x"), .string("y")]))
    }

    @Test func jsonAsServersPrintItIsRead() throws {
        // Tab indentation, an escaped slash, a \u escape, numbers with exponents, an empty key.
        let json = Data("{\n\t\"paths\": {\n\t\t\"\\/v1\\/projects\": {\"x\": 1e3, \"y\": -0.5E-1, \"\": \"caf\\u00e9\"}\n\t}\n}\n".utf8)
        let value = try DoctorChecks.parseOpenAPI(json, path: "/v1/openapi.json").get()
        #expect(value == JSONValue(json: json))
        #expect(value["paths"]?["/v1/projects"]?[""] == .string("café"))
    }

    @Test func theContractMatchesItselfAndADifferenceIsNamed() throws {
        let data = try #require(ContractDocument.openAPIYAML)
        let ours = try DoctorChecks.parseOpenAPI(data, path: "ours").get()
        let (checked, none) = OpenAPIComparison.compare(ours: ours, live: ours)
        #expect(checked > 0)
        #expect(none.isEmpty)

        let marked = try DoctorChecks.parseOpenAPI(Data("""
            components:
              schemas:
                Role:
                  x-cogramctl-assumption: true
                  type: string
                  enum: [owner, editor, viewer]
            """.utf8), path: "ours").get()
        let live = try DoctorChecks.parseOpenAPI(Data("""
            {"components": {"schemas": {"Role": {"type": "string", "enum": ["owner", "editor", "viewer", "approver"]}}}}
            """.utf8), path: "live").get()
        let (count, differences) = OpenAPIComparison.compare(ours: marked, live: live)
        #expect(count == 1)
        #expect(differences == ["#/components/schemas/Role: enum is [approver, editor, owner, viewer] there, [editor, owner, viewer] here"])
        let (_, missing) = OpenAPIComparison.compare(ours: marked, live: .object([:]))
        #expect(missing == ["#/components/schemas/Role: not in the live document"])
    }
}

@Suite struct DoctorConfigurationTests {
    private func settings(apiURL: String? = nil, proxy: String? = nil) -> DoctorChecks.ConnectionSettings {
        .init(apiURL: apiURL, apiKeyFile: nil, proxy: proxy, caBundle: nil, actor: nil, version: "test")
    }

    @Test func aGoodConfigurationIsReadFromTheEnvironment() throws {
        var checks = DoctorChecks(configuration: try ClientConfiguration(baseURL: ClientConfiguration.defaultBaseURL, apiKey: APIKey(""), version: "test"))
        let environment = ["COGRAM_API_URL": "https://api.example.com", "COGRAM_API_KEY": "k-0123456789abcdef"]
        let configuration = try #require(checks.configure(settings(), environment: environment) { $0.maxRetries = 7 })
        #expect(configuration.maxRetries == 7)
        #expect(checks.checks.map(\.name) == ["api url", "api key", "proxy", "trust"])
        #expect(checks.checks.allSatisfy { $0.status == .ok })
        #expect(checks.checks[0].detail == "https://api.example.com (from COGRAM_API_URL)")
        #expect(checks.keySource == "from COGRAM_API_KEY")
        #expect(!checks.humanReport(apiURL: "https://api.example.com").contains("k-0123456789abcdef"))
    }

    @Test func aMissingKeyFailsButTheRestIsChecked() throws {
        var checks = DoctorChecks(configuration: try ClientConfiguration(baseURL: ClientConfiguration.defaultBaseURL, apiKey: APIKey(""), version: "test"))
        _ = checks.configure(settings(apiURL: "https://api.example.com"), environment: [:])
        #expect(checks.checks.first { $0.name == "api key" }?.status == .fail)
        #expect(checks.checks.first { $0.name == "api url" }?.detail == "https://api.example.com (from --api-url)")
        #expect(checks.checks.first { $0.name == "trust" }?.status == .ok)
        #expect(checks.failedCount == 1)
    }

    @Test func aBadURLStopsBeforeAnyClientIsMade() throws {
        var checks = DoctorChecks(configuration: try ClientConfiguration(baseURL: ClientConfiguration.defaultBaseURL, apiKey: APIKey(""), version: "test"))
        #expect(checks.configure(settings(apiURL: "ftp://api.example.com"), environment: ["COGRAM_API_KEY": "k-0123456789abcdef"]) == nil)
        #expect(checks.checks.map(\.name) == ["api url"])
        #expect(checks.checks[0].status == .fail)
    }
}
