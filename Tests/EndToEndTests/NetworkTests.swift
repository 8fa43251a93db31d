import Foundation
import Testing

/// Proxies, timeouts and URLs as the binary reads them from its options and environment.
@Suite struct NetworkEndToEndTests {
    static let manifest = """
        version: 1
        projects:
          - external_id: p-depot
            name: Depot
        """

    @Test func theEmbeddedSandboxIsNeverProxied() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cogramctl-net-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.manifest.write(to: directory.appendingPathComponent("m.yaml"), atomically: true, encoding: .utf8)
        let result = try await Binary.run(
            ["plan", ".", "--sandbox=sb.sqlite"],
            environment: ["HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_COLOR": "1"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("+ project.p-depot"))
    }

    @Test func aProxyFromTheEnvironmentIsUsedForLoopbackToo() async throws {
        let org = try await TestOrganization.start()
        defer { Task { await org.stop() } }
        try org.write(Self.manifest)
        let proxied = try await org.run(["plan", ".", "--max-retries", "0"], environment: ["HTTP_PROXY": "http://127.0.0.1:9"])
        #expect(proxied.status == 1)
        #expect(proxied.stderr.contains("failed at the proxy http://127.0.0.1:9 (from HTTP_PROXY)"), "\(proxied.stderr)")
        let exempt = try await org.run(["plan", "."], environment: ["HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "localhost,127.0.0.1"])
        #expect(exempt.status == 0, "\(exempt.stderr)")
        let option = try await org.run(["plan", ".", "--max-retries", "0", "--proxy", "http://u:pw-secret@127.0.0.1:9"], environment: ["NO_PROXY": "*"])
        #expect(option.status == 1)
        #expect(option.stderr.contains("http://***@127.0.0.1:9 (from --proxy)"), "\(option.stderr)")
        #expect(!option.stderr.contains("pw-secret"))
    }

    @Test func aBaseURLEndingInV1IsNormalisedWithAWarning() async throws {
        let org = try await TestOrganization.start()
        defer { Task { await org.stop() } }
        try org.write(Self.manifest)
        let result = try await org.run(["plan", "."], environment: ["COGRAM_API_URL": org.sandbox.baseURL + "/v1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: the API URL \(org.sandbox.baseURL)/v1 ends in /v1"))
    }

    @Test func theDeadlineStopsTheCommand() async throws {
        let org = try await TestOrganization.start()
        defer { Task { await org.stop() } }
        try org.write(Self.manifest)
        let result = try await org.run(["plan", ".", "--deadline", "0.001s"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("the deadline (--deadline) passed before GET"), "\(result.stderr)")
        #expect(try await org.run(["plan", ".", "--deadline", "soon"]).status == 64)
    }

    @Test func aKeyWithALineBreakIsRefusedWithoutShowingIt() async throws {
        let org = try await TestOrganization.start()
        defer { Task { await org.stop() } }
        try org.write(Self.manifest)
        let result = try await org.run(["plan", "."], environment: ["COGRAM_API_KEY": "ck_live_first\nck_live_second"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("the API key from COGRAM_API_KEY contains a line break at character 14"), "\(result.stderr)")
        #expect(!result.stderr.contains("ck_live"))
    }
}
