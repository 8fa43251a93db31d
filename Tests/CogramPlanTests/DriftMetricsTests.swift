@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

/// `drift --metrics`: the exposition text swift-prometheus writes for a report or a failed check, and the file's
/// atomic replacement.
@Suite struct DriftMetricsTests {
    private static func report(name: String?, drift: [DriftItem] = [], unmanaged: UnmanagedCounts = UnmanagedCounts()) -> DriftReport {
        DriftReport(
            organization: DriftOrganization(name: name, anchor: nil), apiURL: "https://api.cogram.com",
            checkedAt: "2026-02-28T12:00:00Z", drift: drift, unmanaged: unmanaged)
    }

    private static let twoItems = [
        DriftItem(kind: .projectField, address: "project.a", field: "name", manifest: "A", cogram: "B", adoptable: true),
        DriftItem(kind: .projectField, address: "project.b", field: "name", manifest: "A", cogram: "B", adoptable: true),
        DriftItem(kind: .memberAdded, address: "project.a.member.x@example.com", field: "role", manifest: nil, cogram: "editor", adoptable: true),
    ]

    @Test func aReportGivesEveryKindZerosIncludedWithHelpAndTypeLines() {
        let text = DriftMetrics.render([.checked(Self.report(
            name: "Acme", drift: Self.twoItems,
            unmanaged: UnmanagedCounts(projectsWithoutExternalID: 4, usersInNoManifest: 1, membershipsUnmanaged: 9)))])
        #expect(text == """
            # HELP cogram_drift_objects Differences between Cogram and the manifests found by the last drift check, by kind.
            # TYPE cogram_drift_objects gauge
            cogram_drift_objects{organization="Acme",kind="member_added"} 1.0
            cogram_drift_objects{organization="Acme",kind="member_removed"} 0.0
            cogram_drift_objects{organization="Acme",kind="member_role"} 0.0
            cogram_drift_objects{organization="Acme",kind="project_field"} 2.0
            cogram_drift_objects{organization="Acme",kind="project_missing"} 0.0
            cogram_drift_objects{organization="Acme",kind="project_unlisted"} 0.0
            cogram_drift_objects{organization="Acme",kind="user_role"} 0.0
            # HELP cogram_unmanaged_objects Objects in Cogram that no manifest manages, found by the last drift check, by kind.
            # TYPE cogram_unmanaged_objects gauge
            cogram_unmanaged_objects{organization="Acme",kind="memberships_unmanaged"} 9.0
            cogram_unmanaged_objects{organization="Acme",kind="projects_without_external_id"} 4.0
            cogram_unmanaged_objects{organization="Acme",kind="users_in_no_manifest"} 1.0
            # HELP cogram_drift_check_success 1 when the last drift check read Cogram and compared it, 0 when it failed.
            # TYPE cogram_drift_check_success gauge
            cogram_drift_check_success{organization="Acme"} 1.0
            # HELP cogram_drift_check_timestamp_seconds When the last drift check ran (finished or failed), in seconds since the Unix epoch.
            # TYPE cogram_drift_check_timestamp_seconds gauge
            cogram_drift_check_timestamp_seconds{organization="Acme"} 1772280000.0

            """)
    }

    @Test func aFailedCheckWritesOnlySuccessZeroAndTheTime() {
        let text = DriftMetrics.render([.failed(organization: "Acme", at: Date(timeIntervalSince1970: 1_772_280_123.9))])
        #expect(text == """
            # HELP cogram_drift_check_success 1 when the last drift check read Cogram and compared it, 0 when it failed.
            # TYPE cogram_drift_check_success gauge
            cogram_drift_check_success{organization="Acme"} 0.0
            # HELP cogram_drift_check_timestamp_seconds When the last drift check ran (finished or failed), in seconds since the Unix epoch.
            # TYPE cogram_drift_check_timestamp_seconds gauge
            cogram_drift_check_timestamp_seconds{organization="Acme"} 1772280123.0

            """)
    }

    @Test func theUnnamedOrganizationAndNamesThatNeedEscapingAreLabelledAsTheSpecSays() {
        let text = DriftMetrics.render([
            .checked(Self.report(name: nil)),
            .failed(organization: "Acme \"US\" \\ West\nCoast", at: Date(timeIntervalSince1970: 0)),
        ])
        #expect(text.contains("cogram_drift_check_success{organization=\"unnamed\"} 1.0\n"))
        #expect(text.contains("cogram_drift_check_success{organization=\"Acme \\\"US\\\" \\\\ West\\nCoast\"} 0.0\n"), "\(text)")
        // One HELP and one TYPE line per family, however many organizations.
        #expect(text.components(separatedBy: "# TYPE cogram_drift_check_success gauge").count == 2)
        #expect(DriftOrganization(nil).label == "unnamed")
    }

    @Test func theSameChecksGiveTheSameBytes() {
        let entries: [DriftMetricsEntry] = [.checked(Self.report(name: "B", drift: Self.twoItems)), .checked(Self.report(name: "A"))]
        let first = DriftMetrics.render(entries)
        for _ in 0..<5 { #expect(DriftMetrics.render(entries) == first) }
        let lines = first.split(separator: "\n")
        let drift = lines.filter { $0.hasPrefix("cogram_drift_objects{") }
        #expect(drift.count == 14)
        #expect(drift.map(String.init) == drift.map(String.init).sorted())
    }

    @Test func theFileIsReplacedKeepingItsModeAndANewOneIsWorldReadable() throws {
        let folder = try makeTemporaryDirectory("cogramctl-metrics")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("cogram.prom").path
        let entries: [DriftMetricsEntry] = [.checked(Self.report(name: "Acme"))]

        let oldMask = umask(0o077)
        defer { umask(oldMask) }
        try DriftMetrics.write(entries, to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o644, "the textfile collector often runs as another user")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == DriftMetrics.render(entries))

        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        try DriftMetrics.write([.failed(organization: "Acme", at: Date())], to: path)
        let replaced = try FileManager.default.attributesOfItem(atPath: path)
        #expect((replaced[.posixPermissions] as? Int) == 0o640)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("cogram_drift_check_success{organization=\"Acme\"} 0.0"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["cogram.prom"], "no temporary file left")
    }

    @Test func aFolderThatDoesNotExistIsAnErrorNamingTheFile() throws {
        let path = "/nonexistent-\(UUID().uuidString)/cogram.prom"
        #expect(throws: DriftMetricsError.self) { try DriftMetrics.write([], to: path) }
        do {
            try DriftMetrics.write([], to: path)
        } catch {
            #expect(error.description.hasPrefix("cannot write the metrics file \(path): No such file or directory"), "\(error)")
        }
    }
}
