#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// Two organization roots in one repository, through the built binary against `sandbox serve` holding both
/// organizations in one database, one key each (cli.md, "Several organizations").
@Suite struct SeveralOrganizationsTests {
    static func seed(_ name: String, _ prefix: String) -> SandboxSeed {
        SandboxSeed(organization: name, users: [
            .init(email: "admin@\(prefix).example", name: "Admin", role: .admin, id: "usr_\(prefix)_admin"),
            .init(email: "ana@\(prefix).example", name: "Ana", role: .member),
        ])
    }

    static func manifest(_ name: String, _ prefix: String, variable: String) -> String {
        """
        version: 1
        organization:
          name: \(name)
          anchor: usr_\(prefix)_admin
          api_key_env: \(variable)
        projects:
          - external_id: \(prefix)-one
            name: \(prefix.uppercased()) One
            members:
              - {email: admin@\(prefix).example, role: owner}
              - {email: ana@\(prefix).example, role: editor}

        """
    }

    /// `sandbox serve` over a database that holds several organizations and their keys already (no key of its own).
    static func serve(database: String, in folder: URL) async throws -> (BackgroundBinary, String) {
        let server = try BackgroundBinary(
            ["sandbox", "serve", "--db", database, "--port", "0", "--rate-limit", "100000"],
            environment: ["NO_COLOR": "1"], in: folder)
        let listening = await server.wait(timeout: 60) { server.stderr.contains("listening on http://") }
        let url = server.stderr.split(separator: "\n").first { $0.contains("listening on http://") }
            .flatMap { line in line.split(separator: " ").first { $0.hasPrefix("http://") } }.map(String.init)
        guard listening, let url else {
            server.send(SIGKILL)
            _ = await server.wait(timeout: 30)
            throw ServedSandbox.NotListening(stderr: server.stderr)
        }
        return (server, url)
    }

    @Test func planPlansEachOrganizationWithItsOwnKey() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-orgs")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        let usKey = "us-" + UUID().uuidString
        let euKey = "eu-" + UUID().uuidString
        do {
            let store = try SandboxStore(path: database)
            defer { try? store.close() }
            let us = try store.seed(Self.seed("Acme US", "us"))
            let eu = try store.seed(Self.seed("Acme EU", "eu"))
            _ = try store.createAPIKey(organization: us, name: "ci", value: usKey)
            _ = try store.createAPIKey(organization: eu, name: "ci", value: euKey)
        }
        let manifests = folder.appendingPathComponent("manifests")
        for (name, prefix) in [("Acme US", "us"), ("Acme EU", "eu")] {
            let root = manifests.appendingPathComponent(prefix)
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try Self.manifest(name, prefix, variable: "COGRAM_API_KEY_\(prefix.uppercased())")
                .write(to: root.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
        }
        let (server, url) = try await Self.serve(database: database, in: folder)
        let outputFile = folder.appendingPathComponent("github-output").path
        let both = ["COGRAM_API_URL": url, "COGRAM_API_KEY_US": usKey, "COGRAM_API_KEY_EU": euKey, "NO_COLOR": "1"]

        let plan = try await Binary.run(
            ["plan", "manifests", "--out", "set.json"], environment: both.merging(["GITHUB_OUTPUT": outputFile]) { a, _ in a },
            in: folder)
        let json = try await Binary.run(["plan", "manifests", "--format", "json"], environment: both, in: folder)
        let onlyUS = try await Binary.run(
            ["plan", "manifests", "--org", "Acme US"],
            environment: ["COGRAM_API_URL": url, "COGRAM_API_KEY_US": usKey, "NO_COLOR": "1"], in: folder)
        let unknown = try await Binary.run(["plan", "manifests", "--org", "Acme UK"], environment: both, in: folder)
        let missing = try await Binary.run(
            ["plan", "manifests", "--verbose"],
            environment: ["COGRAM_API_URL": url, "COGRAM_API_KEY_US": usKey, "NO_COLOR": "1"], in: folder)
        let swapped = try await Binary.run(
            ["plan", "manifests", "--out", "swapped.json"],
            environment: ["COGRAM_API_URL": url, "COGRAM_API_KEY_US": euKey, "COGRAM_API_KEY_EU": usKey, "NO_COLOR": "1"],
            in: folder)
        let shown = try await Binary.run(["show", "set.json"], environment: both, in: folder)
        let unchecked = try await Binary.run(["show", "set.json", "--format", "json"], environment: ["NO_COLOR": "1"], in: folder)
        let tamperedText = try String(contentsOf: folder.appendingPathComponent("set.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"name\" : \"Acme EU\"", with: "\"name\" : \"Acme ZZ\"")
        try tamperedText.write(to: folder.appendingPathComponent("tampered.json"), atomically: true, encoding: .utf8)
        let tampered = try await Binary.run(["show", "tampered.json"], environment: both, in: folder)
        let applySet = try await Binary.run(["apply", "set.json"], environment: both, in: folder)
        server.send(SIGINT)
        _ = await server.wait(timeout: 30)

        #expect(plan.status == 0, "\(plan.stderr)")
        let eu = try #require(plan.stdout.range(of: "=== Acme EU ===\n\nOrganization: Acme EU (anchor usr_eu_admin)\nAPI: \(url), key from COGRAM_API_KEY_EU\n"), "\(plan.stdout)")
        let us = try #require(plan.stdout.range(of: "=== Acme US ===\n\nOrganization: Acme US (anchor usr_us_admin)\nAPI: \(url), key from COGRAM_API_KEY_US\n"), "\(plan.stdout)")
        #expect(eu.lowerBound < us.lowerBound, "sections in name order")
        #expect(plan.stdout.hasSuffix("Totals: 6 changes in 2 organizations (Acme EU: 3, Acme US: 3).\n"), "\(plan.stdout)")
        let outputs = try String(contentsOfFile: outputFile, encoding: .utf8)
        #expect(outputs.contains("organizations=Acme EU,Acme US\n"), "\(outputs)")
        #expect(outputs.contains("change-count=6\n") && outputs.contains("has-changes=true\n"), "\(outputs)")

        let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("set.json"))) as? [String: Any])
        #expect(saved["kind"] as? String == "cogramctl-plan-set")
        #expect((saved["signature"] as? String)?.hasPrefix("hmac-sha256:") == true)
        let names = (saved["plans"] as? [[String: Any]])?.compactMap { ($0["organization"] as? [String: Any])?["name"] as? String }
        #expect(names == ["Acme EU", "Acme US"])
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(printed["kind"] as? String == "cogramctl-plan-set" && (printed["plans"] as? [Any])?.count == 2, "\(json.stdout.prefix(300))")

        #expect(onlyUS.status == 0, "the EU key is not needed with --org: \(onlyUS.stderr)")
        #expect(onlyUS.stdout.contains("=== Acme US ===") && !onlyUS.stdout.contains("Acme EU"), "\(onlyUS.stdout)")
        #expect(onlyUS.stdout.contains("Totals: 3 changes in 1 organization (Acme US: 3)."), "\(onlyUS.stdout)")
        #expect(unknown.status == 1 && unknown.stderr.contains("--org 'Acme UK' names no organization"), "\(unknown.stderr)")

        #expect(missing.status == 1, "\(missing.stdout)\(missing.stderr)")
        #expect(missing.stderr.contains("no Cogram API key in COGRAM_API_KEY_EU"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("/v1/"), "no request is sent for any organization: \(missing.stderr)")
        #expect(missing.stdout.isEmpty)

        #expect(swapped.status == 1, "\(swapped.stdout)\(swapped.stderr)")
        #expect(swapped.stderr.contains("it is the key of another organization"), "\(swapped.stderr)")
        #expect(swapped.stdout.isEmpty, "\(swapped.stdout)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("swapped.json").path), "no plan set is saved")

        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("=== Acme EU ===") && shown.stdout.contains("Totals: 6 changes in 2 organizations"), "\(shown.stdout)")
        #expect(!shown.stderr.contains("not checked"), "\(shown.stderr)")
        #expect(unchecked.status == 0 && unchecked.stderr.contains("signatures were not checked"), "\(unchecked.stderr)")
        #expect(unchecked.stdout.contains("\"kind\" : \"cogramctl-plan-set\""), "\(unchecked.stdout.prefix(200))")
        #expect(tamperedText.contains("Acme ZZ"))
        #expect(tampered.status == 3 && tampered.stdout.isEmpty, "\(tampered.stdout)\(tampered.stderr)")
        #expect(applySet.status == 1 && applySet.stderr.contains("is a plan set of several organizations"), "\(applySet.stderr)")

        for result in [plan, json, onlyUS, unknown, missing, swapped, shown, applySet] {
            #expect(!(result.stdout + result.stderr).contains(usKey) && !(result.stdout + result.stderr).contains(euKey), "keys are never printed")
        }
    }
}
