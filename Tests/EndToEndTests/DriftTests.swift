import Foundation
import CogramTestSupport
import Testing

/// `cogramctl drift` against the embedded sandbox: changes made through the API after an apply show as drift,
/// and a second apply of the manifests ends it.
@Suite struct DriftEndToEndTests {
    private static func manifest(name: String, ben: String?) -> String {
        var yaml = "version: 1\nownership:\n  external_id_prefix: drift-\nprojects:\n  - external_id: drift-one\n    name: \(name)\n    members:\n      - email: ana@example.com\n        role: owner\n"
        if let ben { yaml += "      - email: ben@example.com\n        role: \(ben)\n" }
        return yaml
    }

    @Test func changesMadeThroughTheAPIAreDriftUntilTheManifestsAreAppliedAgain() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cogramctl-drift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let reviewed = folder.appendingPathComponent("org.yaml")
        let other = folder.appendingPathComponent("other").appendingPathComponent("org.yaml")
        try FileManager.default.createDirectory(at: other.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Self.manifest(name: "One", ben: "editor").write(to: reviewed, atomically: true, encoding: .utf8)
        // The same organization changed through the API by someone else: a new name, a role, a member gone.
        try Self.manifest(name: "Renamed in the app", ben: nil).write(to: other, atomically: true, encoding: .utf8)
        let env = ["NO_COLOR": "1"]
        let sandbox = "--sandbox=\(folder.appendingPathComponent("db.sqlite").path)"

        let first = try await Binary.run(["apply", sandbox, "org.yaml", "--auto-approve"], environment: env, in: folder)
        #expect(first.status == 0, "\(first.stderr)")
        let clean = try await Binary.run(["drift", sandbox, "org.yaml"], environment: env, in: folder)
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("No drift."))

        let change = try await Binary.run(["apply", sandbox, "other/org.yaml", "--auto-approve"], environment: env, in: folder)
        #expect(change.status == 0, "\(change.stderr)")

        let json = try await Binary.run(["drift", sandbox, "org.yaml", "--format", "json", "--verbose"], environment: env, in: folder)
        #expect(json.status == 2, "\(json.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["kind"] as? String == "cogramctl-drift")
        let items = try #require(document["drift"] as? [[String: Any]])
        let kinds = Set(items.compactMap { "\($0["kind"] ?? ""):\($0["address"] ?? "")" })
        #expect(kinds == ["project_field:project.drift-one", "member_removed:project.drift-one.member.ben@example.com"], "\(items)")
        let name = try #require(items.first { $0["field"] as? String == "name" })
        #expect(name["manifest"] as? String == "One")
        #expect(name["cogram"] as? String == "Renamed in the app")
        #expect(name["location"] as? String == "org.yaml:5")
        #expect(name["updated_at"] is String)

        let markdown = try await Binary.run(["drift", sandbox, "org.yaml", "--format", "markdown"], environment: env, in: folder)
        #expect(markdown.status == 2)
        #expect(markdown.stdout.contains("`cogramctl apply org.yaml`"))
        #expect(markdown.stdout.contains("| project_field | `project.drift-one` | name |"))

        let revert = try await Binary.run(["apply", sandbox, "org.yaml", "--auto-approve"], environment: env, in: folder)
        #expect(revert.status == 0, "\(revert.stderr)")
        let after = try await Binary.run(["drift", sandbox, "org.yaml"], environment: env, in: folder)
        #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
    }

    /// `--metrics`: the counts of a real check in the textfile format, and `cogram_drift_check_success 0` with the
    /// organization's name when the check fails after the manifests loaded.
    @Test func metricsFileHoldsTheCheckAndAFailedCheckSetsSuccessToZero() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-drift-metrics")
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = folder.appendingPathComponent("org.yaml")
        try ("organization:\n  name: Metrics Org\n" + Self.manifest(name: "One", ben: "editor"))
            .write(to: manifest, atomically: true, encoding: .utf8)
        let env = ["NO_COLOR": "1"]
        let sandbox = "--sandbox=\(folder.appendingPathComponent("db.sqlite").path)"
        let apply = try await Binary.run(["apply", sandbox, "org.yaml", "--auto-approve"], environment: env, in: folder)
        #expect(apply.status == 0, "\(apply.stderr)")
        try ("organization:\n  name: Metrics Org\n" + Self.manifest(name: "Renamed", ben: "editor"))
            .write(to: manifest, atomically: true, encoding: .utf8)

        let drift = try await Binary.run(["drift", sandbox, "org.yaml", "--metrics", "cogram.prom"], environment: env, in: folder)
        #expect(drift.status == 2, "\(drift.stdout)\(drift.stderr)")
        let text = try String(contentsOf: folder.appendingPathComponent("cogram.prom"), encoding: .utf8)
        #expect(text.contains("cogram_drift_objects{organization=\"Metrics Org\",kind=\"project_field\"} 1.0\n"), "\(text)")
        #expect(text.contains("cogram_drift_objects{organization=\"Metrics Org\",kind=\"user_role\"} 0.0\n"), "\(text)")
        #expect(text.contains("cogram_unmanaged_objects{organization=\"Metrics Org\",kind=\"users_in_no_manifest\"} "), "\(text)")
        #expect(text.contains("cogram_drift_check_success{organization=\"Metrics Org\"} 1.0\n"), "\(text)")
        #expect(text.contains("# TYPE cogram_drift_check_timestamp_seconds gauge\n"), "\(text)")
        #expect(drift.stdout.contains("project_field"), "the report is printed as without --metrics")

        // Nothing listens on port 9 of loopback: the read fails (exit 1) after the manifests named the organization.
        let failed = try await Binary.run(
            ["drift", "org.yaml", "--metrics", "cogram.prom"],
            environment: env.merging(["COGRAM_API_URL": "http://127.0.0.1:9/v1", "COGRAM_API_KEY": "cg_unused"]) { $1 },
            in: folder)
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        let after = try String(contentsOf: folder.appendingPathComponent("cogram.prom"), encoding: .utf8)
        #expect(after.contains("cogram_drift_check_success{organization=\"Metrics Org\"} 0.0\n"), "\(after)")
        #expect(after.contains("cogram_drift_check_timestamp_seconds{organization=\"Metrics Org\"} "), "\(after)")
        #expect(!after.contains("cogram_drift_objects"), "no counts from a check that did not run: \(after)")
    }
}
