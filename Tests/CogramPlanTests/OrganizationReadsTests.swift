import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

/// `drift` and `access` over several organization roots (cli.md, "Several organizations"): each organization read
/// with its own client, one document per organization in a set, and the renderings of the sets.
@Suite struct OrganizationReadsTests {
    /// Two roots, `eu/` and `us/`, each managing one project with ana as owner; the anchor of EU is usr_ana.
    static func organizations() throws -> [LoadedOrganization] {
        func file(_ folder: String, _ name: String, anchor: String) -> SourceFile {
            let yaml = """
                version: 1
                organization:
                  name: \(name)
                  anchor: \(anchor)
                  api_key_env: COGRAM_API_KEY_\(folder.uppercased())
                projects:
                  - external_id: \(folder)-one
                    name: One
                    members:
                      - {email: ana@acme.example, role: owner}

                """
            return SourceFile(path: "orgs/\(folder)/org.yaml", bytes: Array(yaml.utf8))
        }
        let result = ManifestLoader().loadOrganizations(sources: [
            file("us", "Acme US", anchor: "usr_ben"), file("eu", "Acme EU", anchor: "usr_ana"),
        ])
        #expect(result.isValid, "\(result.diagnostics)")
        return result.organizations
    }

    static func store(_ externalID: String, name: String, role: ProjectRole) -> FakeStore {
        FakeStore(
            projects: [F.project("prj_\(externalID)", externalID: externalID, name: name)],
            members: ["prj_\(externalID)": [F.member("ana", role)]], users: F.users)
    }

    static func reads(_ stores: [FakeStore]) throws -> [OrganizationRead<FakeCogram>] {
        zip(try organizations(), stores).map { organization, store in
            OrganizationRead(
                organization: organization, client: FakeCogram(store: store), apiURL: "https://api.cogram.com",
                keySource: organization.organization?.apiKeyEnv ?? "")
        }
    }

    @Test func eachOrganizationIsCheckedWithItsOwnClientAndOneFailureIsItsOwn() async throws {
        // EU in sync, US renamed in the app; the US key reads an organization without its anchor usr_ben.
        let eu = Self.store("eu-one", name: "One", role: .owner)
        let us = Self.store("us-one", name: "Renamed", role: .owner)
        await us.setUsers(F.users.filter { $0.id != "usr_ben" })
        let results = await checkDrift(try Self.reads([eu, us]), parallelism: 2, options: F.options())
        let euCheck = try results[0].get()
        #expect(euCheck.report.organization.name == "Acme EU" && euCheck.report.drift.isEmpty)
        #expect(euCheck.root == "orgs/eu" && euCheck.report.organization.keySource == "COGRAM_API_KEY_EU")
        #expect(euCheck.options.manifestDigest.hasPrefix("sha256:") && euCheck.options.manifestDigest != "sha256:test")
        #expect(throws: AnchorMismatch.self) { try results[1].get() }
        let (euLog, usLog) = (await eu.readLog, await us.readLog)
        #expect(euLog.contains("LIST-MEMBERS prj_eu-one") && !euLog.contains("LIST-MEMBERS prj_us-one"), "\(euLog)")
        #expect(!usLog.contains("LIST-MEMBERS prj_eu-one"), "a client reads only its own organization")
    }

    @Test func aDriftSetHasASectionPerOrganizationInNameOrderAndTotals() async throws {
        let eu = Self.store("eu-one", name: "One", role: .owner)
        let us = Self.store("us-one", name: "Renamed", role: .editor)
        let checks = try await checkDrift(try Self.reads([eu, us]).reversed(), parallelism: 2, options: F.options())
            .map { try $0.get() }
        let set = DriftSet(checks)
        #expect(set.reports.map(\.organization.name) == ["Acme EU", "Acme US"])
        #expect(set.hasDrift)
        #expect(set.totalsLine == "Totals: 2 differences in 2 organizations (Acme EU: 0, Acme US: 2).")
        let human = renderHuman(set)
        let euSection = try #require(human.range(of: "=== Acme EU ===\n\nOrganization: Acme EU (anchor usr_ana)\nAPI: https://api.cogram.com, key from COGRAM_API_KEY_EU\n"))
        let usSection = try #require(human.range(of: "=== Acme US ===\n\nOrganization: Acme US (anchor usr_ben)\n"))
        #expect(euSection.lowerBound < usSection.lowerBound)
        #expect(human.contains("Revert Cogram to the manifests: cogramctl apply orgs/us\n"), "each section's commands name its own root")
        #expect(human.hasSuffix("\nTotals: 2 differences in 2 organizations (Acme EU: 0, Acme US: 2).\n"))
        let markdown = renderMarkdown(set)
        #expect(markdown.hasPrefix("## cogramctl drift: 2 organizations\n\n**Totals: 2 differences in 2 organizations (Acme EU: 0, Acme US: 2).**\n\n### Drift in Acme EU\n"))
        #expect(markdown.contains("### Drift in Acme US\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: set.jsonData()) as? [String: Any])
        #expect(object["kind"] as? String == "cogramctl-drift-set" && object["format_version"] as? String == "1")
        let documents = try #require(object["organizations"] as? [[String: Any]])
        #expect(documents.map { $0["kind"] as? String } == ["cogramctl-drift", "cogramctl-drift"])
        #expect(documents.map { ($0["organization"] as? [String: Any])?["name"] as? String } == ["Acme EU", "Acme US"])
        #expect(try DriftFormat.json.render(set) == String(decoding: try set.jsonData(), as: UTF8.self))
        #expect(DriftMetrics.render(set.reports.map { .checked($0) }).contains("cogram_drift_check_success{organization=\"Acme US\"} 1"))
    }

    @Test func anAccessSetIsOneCSVTableWithALeadingOrganizationColumn() async throws {
        let eu = Self.store("eu-one", name: "One", role: .owner)
        let us = Self.store("us-one", name: "=cmd", role: .owner)
        let results = await readAccess(
            try Self.reads([eu, us]), parallelism: 2, today: CalendarDay(F.fixedNow), warningWindow: 14,
            users: ["ana@acme.example"])
        let reports = try results.map { try $0.get() }
        #expect(reports.map { $0.grants.first?.managedBy } == [.entry(file: "org.yaml", line: 10), .entry(file: "org.yaml", line: 10)],
                "paths are relative to each organization's root")
        let set = AccessSet(reports.reversed())
        #expect(set.reports.map(\.organizationName) == ["Acme EU", "Acme US"])
        let csv = renderCSV(set)
        #expect(csv.hasPrefix("organization,email,user_id,organization_role,project_external_id,project_id,project_name,project_status,project_role,managed_by\r\n"))
        #expect(csv.contains("\r\nAcme EU,ana@acme.example,usr_ana,admin,eu-one,prj_eu-one,One,active,owner,org.yaml:10\r\n"))
        #expect(csv.contains("\r\nAcme US,ana@acme.example,usr_ana,admin,us-one,prj_us-one,'=cmd,active,owner,org.yaml:10\r\n"), "\(csv)")
        #expect(renderCSV(reports[0]).hasPrefix("email,user_id,"), "one organization: no organization column")
        #expect(set.totalsLine == "Totals: 2 memberships of 2 users in 2 organizations (Acme EU: 1, Acme US: 1).")
        let human = renderHuman(set)
        #expect(human.hasPrefix("=== Acme EU ===\n\nOrganization: Acme EU (anchor usr_ana)\n") && human.contains("\n=== Acme US ===\n\n"))
        let markdown = renderMarkdown(set)
        #expect(markdown.hasPrefix("# Access report: 2 organizations\n\n**Totals: 2 memberships"))
        #expect(markdown.contains("\n## Access report: Acme EU\n") && markdown.contains("\n### Access\n"), "each report one heading level down")
        let object = try #require(try JSONSerialization.jsonObject(with: set.jsonData()) as? [String: Any])
        #expect(object["kind"] as? String == "cogramctl-access-set")
        #expect((object["organizations"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["cogramctl-access", "cogramctl-access"])
    }

    @Test func theWorstExitStatusOfSeveralOrganizations() {
        #expect(OrganizationRuns.worstExitCode([0, 2, 0]) == 2)
        #expect(OrganizationRuns.worstExitCode([2, 1]) == 1)
        #expect(OrganizationRuns.worstExitCode([]) == 0)
    }
}
