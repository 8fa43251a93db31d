#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// `drift`, `access` and `plan --changed-since` over two organization roots, through the built binary against
/// `sandbox serve` holding both organizations in one database, one key each (cli.md, "Several organizations").
@Suite struct SeveralOrganizationsReadTests {
    @Test func driftAndAccessReadEachOrganizationWithItsOwnKey() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-orgs-read")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (database, seededUS, seededEU) = try SeveralOrganizationsTests.seedUSAndEU(in: folder)
        let (usKey, euKey) = (seededUS.key, seededEU.key)
        try ChangedSinceEndToEndTests.git(["init", "-q", "-b", "main"], in: folder)
        try ChangedSinceEndToEndTests.git(["add", "manifests"], in: folder)
        try ChangedSinceEndToEndTests.git(["-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-qm", "base"], in: folder)
        let (server, url) = try await SeveralOrganizationsTests.serve(database: database, in: folder)
        let both = ["COGRAM_API_URL": url, "COGRAM_API_KEY_US": usKey, "COGRAM_API_KEY_EU": euKey, "NO_COLOR": "1"]
        let onlyEU = ["COGRAM_API_URL": url, "COGRAM_API_KEY_EU": euKey, "NO_COLOR": "1"]
        let onlyUS = ["COGRAM_API_URL": url, "COGRAM_API_KEY_US": usKey, "NO_COLOR": "1"]

        // Acme EU is brought in line with its manifests; Acme US is left with its project missing.
        let applyEU = try await Binary.run(["apply", "manifests/eu", "--auto-approve"], environment: onlyEU, in: folder)
        let drift = try await Binary.run(["drift", "manifests", "--metrics", "drift.prom"], environment: both, in: folder)
        let driftJSON = try await Binary.run(["drift", "manifests", "--format", "json"], environment: both, in: folder)
        let driftEU = try await Binary.run(["drift", "manifests", "--org", "Acme EU"], environment: onlyEU, in: folder)
        let driftMissing = try await Binary.run(
            ["drift", "manifests", "--verbose", "--metrics", "missing.prom"], environment: onlyUS, in: folder)
        let csv = try await Binary.run(["access", "manifests", "--format", "csv"], environment: both, in: folder)
        let accessJSON = try await Binary.run(["access", "manifests", "--format", "json", "--org", "Acme US"], environment: onlyUS, in: folder)
        let accessHuman = try await Binary.run(["access", "manifests"], environment: both, in: folder)
        let accessMissing = try await Binary.run(["access", "manifests", "--verbose"], environment: onlyEU, in: folder)
        let accessSwapped = try await Binary.run(
            ["access", "manifests"],
            environment: ["COGRAM_API_URL": url, "COGRAM_API_KEY_US": euKey, "COGRAM_API_KEY_EU": usKey, "NO_COLOR": "1"], in: folder)
        // Only Acme US's files change: each organization is scoped by its own root.
        let usFile = folder.appendingPathComponent("manifests/us/org.yaml")
        try String(contentsOf: usFile, encoding: .utf8).replacingOccurrences(of: "name: US One", with: "name: US Renamed")
            .write(to: usFile, atomically: true, encoding: .utf8)
        let changed = try await Binary.run(["plan", "manifests", "--changed-since", "HEAD"], environment: both, in: folder)
        // --adopt in each root: EU's name, changed only in its manifest, is written back from Cogram; US's missing
        // project cannot be adopted, so the run exits 2 (the worst of 0 and 2).
        let euFile = folder.appendingPathComponent("manifests/eu/org.yaml")
        try String(contentsOf: euFile, encoding: .utf8).replacingOccurrences(of: "name: EU One", with: "name: EU Local")
            .write(to: euFile, atomically: true, encoding: .utf8)
        let adopt = try await Binary.run(["drift", "manifests", "--adopt"], environment: both, in: folder)
        let adoptInto = try await Binary.run(["drift", "manifests", "--adopt", "--adopt-into", "manifests/eu/new.yaml"], environment: both, in: folder)
        server.send(SIGINT)
        _ = await server.wait(timeout: 30)

        #expect(applyEU.status == 0, "\(applyEU.stderr)")
        #expect(drift.status == 2, "\(drift.stdout)\(drift.stderr)")
        let eu = try #require(drift.stdout.range(of: "=== Acme EU ===\n\nOrganization: Acme EU (anchor usr_eu_admin)\nAPI: \(url), key from COGRAM_API_KEY_EU\n"), "\(drift.stdout)")
        let us = try #require(drift.stdout.range(of: "=== Acme US ===\n\nOrganization: Acme US (anchor usr_us_admin)\nAPI: \(url), key from COGRAM_API_KEY_US\n"), "\(drift.stdout)")
        #expect(eu.lowerBound < us.lowerBound, "sections in name order")
        #expect(drift.stdout.contains("project_missing project.us-one\n") && drift.stdout.contains("Revert Cogram to the manifests: cogramctl apply manifests/us\n"))
        #expect(drift.stdout.hasSuffix("\nTotals: 1 difference in 2 organizations (Acme EU: 0, Acme US: 1).\n"), "\(drift.stdout)")
        let metrics = try String(contentsOf: folder.appendingPathComponent("drift.prom"), encoding: .utf8)
        #expect(metrics.contains("cogram_drift_check_success{organization=\"Acme EU\"} 1.0\n"), "\(metrics)")
        #expect(metrics.contains("cogram_drift_objects{organization=\"Acme US\",kind=\"project_missing\"} 1.0\n"), "\(metrics)")
        #expect(metrics.contains("cogram_drift_objects{organization=\"Acme EU\",kind=\"project_missing\"} 0.0\n"), "\(metrics)")

        #expect(driftJSON.status == 2)
        let set = try #require(try JSONSerialization.jsonObject(with: Data(driftJSON.stdout.utf8)) as? [String: Any])
        #expect(set["kind"] as? String == "cogramctl-drift-set" && set["format_version"] as? String == "1")
        let documents = try #require(set["organizations"] as? [[String: Any]])
        #expect(documents.map { ($0["organization"] as? [String: Any])?["name"] as? String } == ["Acme EU", "Acme US"])
        #expect(documents.map { ($0["drift"] as? [Any])?.count } == [0, 1])

        #expect(driftEU.status == 0, "the US key is not needed with --org: \(driftEU.stderr)")
        #expect(driftEU.stdout.contains("No drift. Cogram matches the manifests.") && !driftEU.stdout.contains("Acme US"), "\(driftEU.stdout)")
        #expect(driftEU.stdout.hasSuffix("Totals: 0 differences in 1 organization (Acme EU: 0).\n"))

        #expect(driftMissing.status == 1 && driftMissing.stdout.isEmpty, "\(driftMissing.stdout)\(driftMissing.stderr)")
        #expect(driftMissing.stderr.contains("no Cogram API key in COGRAM_API_KEY_EU"), "\(driftMissing.stderr)")
        #expect(!driftMissing.stderr.contains("/v1/"), "no request is sent for any organization: \(driftMissing.stderr)")
        let failed = try String(contentsOf: folder.appendingPathComponent("missing.prom"), encoding: .utf8)
        #expect(failed.contains("cogram_drift_check_success{organization=\"Acme EU\"} 0.0\n")
            && failed.contains("cogram_drift_check_success{organization=\"Acme US\"} 0.0\n"), "\(failed)")

        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout.hasPrefix("organization,email,user_id,organization_role,project_external_id,project_id,project_name,project_status,project_role,managed_by\r\n"))
        #expect(csv.stdout.contains("\r\nAcme EU,admin@eu.example,usr_eu_admin,admin,eu-one,"), "\(csv.stdout)")
        #expect(csv.stdout.contains(",EU One,active,owner,org.yaml:10\r\n"), "managed_by relative to the root: \(csv.stdout)")
        #expect(csv.stdout.contains("\r\nAcme US,admin@us.example,usr_us_admin,admin,,,,,,\r\n"), "\(csv.stdout)")
        #expect(!csv.stdout.contains("Acme US,ana@eu.example"), "each organization's own users")

        #expect(accessJSON.status == 0, "the EU key is not needed with --org: \(accessJSON.stderr)")
        let access = try #require(try JSONSerialization.jsonObject(with: Data(accessJSON.stdout.utf8)) as? [String: Any])
        #expect(access["kind"] as? String == "cogramctl-access-set")
        #expect((access["organizations"] as? [[String: Any]])?.map { ($0["organization"] as? [String: Any])?["name"] as? String } == ["Acme US"])

        #expect(accessHuman.status == 0 && accessHuman.stdout.contains("=== Acme EU ===") && accessHuman.stdout.contains("=== Acme US ==="))
        #expect(accessHuman.stdout.hasSuffix("Totals: 2 memberships of 4 users in 2 organizations (Acme EU: 2, Acme US: 0).\n"), "\(accessHuman.stdout)")

        #expect(accessMissing.status == 1 && accessMissing.stdout.isEmpty, "\(accessMissing.stdout)\(accessMissing.stderr)")
        #expect(accessMissing.stderr.contains("no Cogram API key in COGRAM_API_KEY_US"), "\(accessMissing.stderr)")
        #expect(!accessMissing.stderr.contains("/v1/"), "no request is sent: \(accessMissing.stderr)")
        #expect(accessSwapped.status == 1 && accessSwapped.stdout.isEmpty, "\(accessSwapped.stdout)")
        #expect(accessSwapped.stderr.contains("it is the key of another organization"), "\(accessSwapped.stderr)")

        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(changed.stderr.contains("Acme EU: Scoped plan: 0 projects changed since HEAD (of 1 in the manifests)"), "\(changed.stderr)")
        #expect(changed.stderr.contains("Acme US: Scoped plan: 1 project changed since HEAD (of 1 in the manifests)"), "\(changed.stderr)")
        #expect(changed.stdout.contains("=== Acme EU ===") && changed.stdout.contains("+ project.us-one"), "\(changed.stdout)")
        #expect(changed.stdout.contains("Totals: 3 changes in 2 organizations (Acme EU: 0, Acme US: 3)."), "\(changed.stdout)")

        #expect(adopt.status == 2, "\(adopt.stdout)\(adopt.stderr)")
        #expect(adopt.stdout.contains("-    name: EU Local\n+    name: EU One\n"), "\(adopt.stdout)")
        #expect(try String(contentsOf: euFile, encoding: .utf8).contains("name: EU One\n"))
        #expect(adopt.stderr.contains("Acme US:\n") && adopt.stderr.contains("Not adopted (1):\n  project_missing project.us-one"), "\(adopt.stderr)")
        #expect(adoptInto.status == 1 && adoptInto.stderr.contains("--adopt-into names one file of one organization"), "\(adoptInto.stderr)")

        for result in [adopt, changed, applyEU, drift, driftJSON, driftEU, driftMissing, csv, accessJSON, accessHuman, accessMissing, accessSwapped] {
            #expect(!(result.stdout + result.stderr).contains(usKey) && !(result.stdout + result.stderr).contains(euKey), "keys are never printed")
        }
    }
}
