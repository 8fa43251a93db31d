import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

@Suite struct ExpiryPlanningTests {
    static let yaml = """
        version: 1
        users:
          - {email: ana@acme.example, role: admin, expires: 2027-03-31, then: member}
        projects:
          - external_id: acme-x
            name: X
            members:
              - {email: ben@acme.example, role: owner}
              - {email: cat@acme.example, role: editor, expires: 2027-03-31}

        """

    static let observed = ObservedState(
        projects: [F.project("prj_1", externalID: "acme-x", name: "X")],
        users: F.users,
        members: ["prj_1": [F.member("ben", .owner), F.member("cat", .editor)]])

    @Test func theLastDayKeepsTheAccessTheNextDayRemovesItWithTheReason() throws {
        let desired = try loadYAML(Self.yaml)
        let last = F.plan(desired, Self.observed) { $0.now = try! noon("2027-03-31") }
        #expect(last.changes.isEmpty)
        let after = F.plan(desired, Self.observed) { $0.now = try! noon("2027-04-01") }
        let removal = try #require(after.change("project.acme-x.member.cat@acme.example"))
        #expect(removal.action == .removeMember)
        #expect(removal.reason == "expired 2027-03-31 (org.yaml:9)")
        let user = try #require(after.change("user.ana@acme.example"))
        #expect(user.reason == "expired 2027-03-31 (org.yaml:3)")
        if case .updateUser(let edit) = user.edit {
            #expect(edit.after.role == .member)
        } else {
            Issue.record("expected update_user, got \(user.action)")
        }
    }

    @Test func removalsCausedByExpiryCountTowardTheMemberRemovalCap() throws {
        let desired = try loadYAML(Self.yaml)
        let plan = F.plan(desired, Self.observed) {
            $0.now = try! noon("2027-04-01")
            $0.maxMemberRemovals = 0
        }
        #expect(plan.safetyViolations.map(\.kind) == [.massMemberRemoval])
    }
}

@Suite struct OffboardingPlanningTests {
    static let yaml = """
        version: 1
        offboarded:
          - {email: cat@acme.example, date: 2026-02-01, org_role: member}
          - {email: zed@acme.example}
          - {email: eve@acme.example, org_role: member}
        projects:
          - external_id: acme-x
            name: X
            members:
              - {email: ben@acme.example, role: owner}

        """

    static let observed = ObservedState(
        projects: [
            F.project("prj_1", externalID: "acme-x", name: "X"),
            F.project("prj_2", externalID: nil, name: "Loose"),
            F.project("prj_3", externalID: "other-y", name: "Y", status: .archived),
            F.project("prj_4", externalID: "acme-z", name: "Z"),
        ],
        users: [F.user("ben"), F.user("cat", role: .admin), F.user("eve", status: .deactivated)],
        members: [
            "prj_1": [F.member("ben", .owner), F.member("cat", .editor)],
            "prj_2": [F.member("cat", .owner), F.member("ben", .viewer)],
            "prj_3": [F.member("cat", .viewer), F.member("eve", .editor)],
        ])

    @Test func everyMembershipAnywhereIsRemovedWithTheReasonAndNoCapCountsIt() throws {
        var desired = try loadYAML(Self.yaml)
        desired.projects.append(F.dproject("acme-z", name: "Z"))
        desired.ownership = Ownership(externalIDPrefix: "acme-", location: F.loc(1))
        let plan = F.plan(desired, Self.observed) { $0.maxMemberRemovals = 0 }
        let removals = plan.changes.filter { $0.action == .removeMember }.map(\.address.description).sorted()
        #expect(removals == [
            "project#prj_2.member.cat@acme.example",
            "project.acme-x.member.cat@acme.example",
            "project.other-y.member.cat@acme.example",
            "project.other-y.member.eve@acme.example",
        ])
        #expect(plan.changes.filter { $0.action == .removeMember }.allSatisfy { $0.reason?.hasPrefix("offboarded (org.yaml:") == true })
        #expect(plan.change("project#prj_2.member.cat@acme.example")?.target.projectID == "prj_2")
        #expect(plan.safetyViolations.isEmpty)
        #expect(plan.structuralProblems().isEmpty)
        // cat's organization role is set; eve is deactivated: skipped with a warning, memberships still removed.
        #expect(plan.change("user.cat@acme.example")?.reason == "offboarded (org.yaml:3)")
        #expect(plan.change("user.eve@acme.example") == nil)
        #expect(plan.warnings.contains { $0.contains("eve@acme.example is deactivated") })
        #expect(plan.warnings.contains { $0.contains("zed@acme.example is not a user of the organization; nothing to do") })
        #expect(plan.warnings.contains { $0.contains("project#prj_2 (Loose) without an owner") })
        #expect(plan.warnings.contains { $0.contains("Settings > Administration > Users") && $0.contains("cat@acme.example") })
        #expect(plan.errors.isEmpty)
    }

    @Test func aTargetedPlanLimitsOffboardingAndSaysSo() throws {
        let desired = try loadYAML(Self.yaml)
        let plan = F.plan(desired, Self.observed) { $0.targets = ["acme-x"] }
        #expect(plan.changes.map(\.address.description) == ["project.acme-x.member.cat@acme.example"])
        #expect(plan.warnings.contains { $0.contains("offboarding was limited to the --target projects") })
    }

    @Test func aRemovalThatAnArchivedProjectRefusesIsKeptAsAWarningNotAFailure() async throws {
        let desired = try loadYAML(Self.yaml)
        let plan = F.plan(desired, Self.observed)
        let warning = try #require(plan.warnings.first { $0.contains("from an archived project") })
        #expect(warning.hasPrefix("2 offboarding removals are from an archived project (project.other-y.member.cat@acme.example, project.other-y.member.eve@acme.example)"))
        let store = FakeStore(projects: Self.observed.projects, members: Self.observed.members, users: Self.observed.users)
        // The contract never refuses this; an API that does answers 409, as it does for additions to archived projects.
        await store.inject("DELETE prj_3 usr_cat", status: 409, persistent: true)
        await store.inject("DELETE prj_3 usr_eve", status: 409, persistent: true)
        let report = await apply(plan: plan, client: FakeCogram(store: store), parallelism: 2)
        #expect(report.succeeded, "a refusal from an archived project does not make apply fail")
        #expect(report.kept == 2 && report.failed == 0)
        let text = renderReport(report, color: false)
        #expect(text.contains("kept        remove_member project.other-y.member.cat@acme.example (warning: Cogram refused to remove the member (409 conflict"))
        #expect(text.contains("2 kept by Cogram (warnings)."))
        let document = ApplyReportDocument(plan: plan, report: report)
        #expect(document.summary["kept"] == 2 && document.changes.filter { $0.outcome == "kept" }.count == 2)
        #expect(renderReportMarkdown(report, apiURL: "u").contains("2 kept by Cogram (warnings)**"))
        // Elsewhere a 409 is still a failure.
        await store.inject("DELETE prj_1 usr_ben", status: 409)
        var removal = try #require(plan.change("project.acme-x.member.cat@acme.example"))
        removal.reason = nil
        removal.target.userID = "usr_ben"
        var manual = plan
        manual.changes = [removal]
        #expect(await apply(plan: manual, client: FakeCogram(store: store), parallelism: 1).failed == 1)
    }

    @Test func theFullReadReadsEveryProjectsMembers() async throws {
        let fake = FakeCogram(store: FakeStore(projects: Self.observed.projects, members: Self.observed.members, users: Self.observed.users))
        let observed = try await readFullObservedState(client: fake, parallelism: 2)
        #expect(Set(observed.members.keys) == ["prj_1", "prj_2", "prj_3", "prj_4"])
        #expect(observed.members["prj_2"]?.count == 2)
        #expect(observed.users.count == 3)
    }
}

@Suite struct AnchorCheckTests {
    @Test func aKeyOfAnotherOrganizationStopsNamingTheOrganizationAndTheVariable() throws {
        let section = OrganizationSection(
            name: "Acme", anchor: "usr_zzz", location: F.loc(1), root: ".")
        #expect(throws: AnchorMismatch.self) {
            try checkAnchor(organization: section, users: F.users, keySource: "COGRAM_API_KEY_ACME")
        }
        let mismatch = AnchorMismatch(organization: "Acme", anchor: "usr_zzz", keySource: "COGRAM_API_KEY_ACME")
        #expect(mismatch.description.contains("'Acme'"))
        #expect(mismatch.description.contains("COGRAM_API_KEY_ACME"))
        try checkAnchor(organization: OrganizationSection(name: "Acme", anchor: "usr_ana", location: F.loc(1), root: "."),
                        users: F.users, keySource: "COGRAM_API_KEY")
        try checkAnchor(organization: nil, users: [], keySource: "COGRAM_API_KEY")
    }
}
