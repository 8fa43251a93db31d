import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

/// Drift is the plan seen the other way round: each kind, its values and whether `--adopt` may take it.
@Suite struct DriftTests {
    private static let today = CalendarDay(F.fixedNow)

    private static func drift(_ desired: DesiredState, _ observed: ObservedState) -> DriftReport {
        var observed = observed
        if observed.users.isEmpty { observed.users = F.users }
        let plan = F.plan(desired, observed)
        return makeDriftReport(desired: desired, observed: observed, plan: plan, checkedAt: F.fixedNow, today: today)
    }

    private static func only(_ report: DriftReport) throws -> DriftItem {
        #expect(report.drift.count == 1, "\(report.drift)")
        return try #require(report.drift.first)
    }

    @Test func aNameChangedInTheAppIsAnAdoptableProjectField() throws {
        let report = Self.drift(
            DesiredState(projects: [F.dproject("acme-x", name: "Manifest name")]),
            ObservedState(projects: [F.project("prj_1", externalID: "acme-x", name: "App name", updatedAt: "2026-02-01T00:00:00Z")]))
        let item = try Self.only(report)
        #expect(item == DriftItem(
            kind: .projectField, address: "project.acme-x", field: "name", manifest: "Manifest name", cogram: "App name",
            updatedAt: "2026-02-01T00:00:00Z", location: "org.yaml:10", adoptable: true))
    }

    @Test func aProjectArchivedInTheAppIsAStatusDifference() throws {
        let report = Self.drift(
            DesiredState(projects: [F.dproject("acme-x", name: "X")]),
            ObservedState(projects: [F.project("prj_1", externalID: "acme-x", name: "X", status: .archived)]))
        let item = try Self.only(report)
        #expect(item.kind == .projectField)
        #expect(item.field == "status")
        #expect(item.manifest == "active" && item.cogram == "archived")
        #expect(item.adoptable)
    }

    @Test func aManifestProjectMissingFromCogramIsNotAdoptable() throws {
        let report = Self.drift(
            DesiredState(projects: [F.dproject("acme-x", name: "X", members: [F.dmember("ana", .owner)])]),
            ObservedState())
        let item = try Self.only(report)  // its members are part of the missing project
        #expect(item.kind == .projectMissing)
        #expect(item.cogram == nil)
        #expect(!item.adoptable)
    }

    @Test func aManagedProjectCreatedInTheAppIsUnlistedAndAdoptable() throws {
        let report = Self.drift(
            DesiredState(ownership: Ownership(externalIDPrefix: "acme-", location: F.loc(2)), projects: []),
            ObservedState(projects: [
                F.project("prj_1", externalID: "acme-new", name: "New"),
                F.project("prj_2", externalID: "other-x", name: "Not ours"),
            ]))
        let item = try Self.only(report)
        #expect(item.kind == .projectUnlisted)
        #expect(item.address == "project.acme-new")
        #expect(item.cogram == "New" && item.manifest == nil)
        #expect(item.adoptable)
    }

    @Test func membershipsAddedRemovedAndChangedInTheApp() throws {
        let desired = DesiredState(projects: [F.dproject("acme-x", name: "X", members: [
            F.dmember("ana", .owner, line: 12), F.dmember("ben", .editor, line: 14), F.dmember("cat", .editor, line: 16),
        ])])
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: "acme-x", name: "X")],
            members: ["prj_1": [F.member("ana", .owner), F.member("cat", .viewer), F.member("dan", .viewer)]])
        let report = Self.drift(desired, observed)
        let byAddress = Dictionary(uniqueKeysWithValues: report.drift.map { ($0.address, $0) })
        #expect(report.drift.count == 3)
        let removed = try #require(byAddress["project.acme-x.member.ben@acme.example"])
        #expect(removed.kind == .memberRemoved && removed.manifest == "editor" && removed.cogram == nil)
        #expect(removed.location == "org.yaml:14" && removed.adoptable)
        let role = try #require(byAddress["project.acme-x.member.cat@acme.example"])
        #expect(role.kind == .memberRole && role.manifest == "editor" && role.cogram == "viewer" && role.adoptable)
        let added = try #require(byAddress["project.acme-x.member.dan@acme.example"])
        #expect(added.kind == .memberAdded && added.manifest == nil && added.cogram == "viewer" && added.adoptable)
    }

    @Test func aRoleAGroupGrantsIsNotAdoptable() throws {
        var member = F.dmember("ben", .editor)
        member.group = "crew"
        let report = Self.drift(
            DesiredState(projects: [F.dproject("acme-x", name: "X", members: [F.dmember("ana", .owner), member])]),
            ObservedState(
                projects: [F.project("prj_1", externalID: "acme-x", name: "X")],
                members: ["prj_1": [F.member("ana", .owner), F.member("ben", .viewer)]]))
        let item = try Self.only(report)
        #expect(item.kind == .memberRole)
        #expect(!item.adoptable)
        #expect(item.note?.contains("group crew") == true)
    }

    @Test func accessThatExpiredOrWasOffboardedIsNeverAdoptable() throws {
        // ben's last day is today: still a member, and his role in the app is not adopted over the entry that ends.
        var lastDay = F.dmember("ben", .editor)
        lastDay.expires = Self.today
        // cy's entry ended yesterday: the evaluation has dropped him, and the app still has him.
        var expired = F.dmember("cy", .editor)
        expired.expires = Self.today.adding(days: -1)
        var desired = DesiredState(projects: [F.dproject("acme-x", name: "X", members: [F.dmember("ana", .owner), lastDay, expired])])
        desired.offboarded = [OffboardedPerson(email: "dan@acme.example", date: nil, location: F.loc(3))]
        let report = Self.drift(desired, ObservedState(
            projects: [F.project("prj_1", externalID: "acme-x", name: "X")],
            members: ["prj_1": [
                F.member("ana", .owner), F.member("ben", .viewer), F.member("cy", .viewer), F.member("dan", .viewer),
            ]]))
        #expect(report.drift.count == 3, "\(report.drift)")
        #expect(report.drift.allSatisfy { !$0.adoptable }, "\(report.drift)")
        let notes = Dictionary(report.drift.map { ($0.address, $0.note ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(notes["project.acme-x.member.ben@acme.example"]?.hasPrefix("caused by expires: \(Self.today);") == true, "\(notes)")
        #expect(notes["project.acme-x.member.cy@acme.example"]?.hasPrefix("caused by expired \(Self.today.adding(days: -1))") == true, "\(notes)")
        #expect(notes["project.acme-x.member.dan@acme.example"]?.hasPrefix("caused by offboarded") == true, "\(notes)")
    }

    @Test func anOrganizationRoleChangedInTheApp() throws {
        let report = Self.drift(DesiredState(users: [F.duser("ben", role: .admin)]), ObservedState())
        let item = try Self.only(report)
        #expect(item == DriftItem(
            kind: .userRole, address: "user.ben@acme.example", field: "role", manifest: "admin", cogram: "member",
            location: "org.yaml:5", adoptable: true))
    }

    @Test func whatNoManifestManagesIsCounted() {
        let report = Self.drift(
            DesiredState(users: [F.duser("ana")], projects: [F.dproject("acme-x", name: "X", members: [F.dmember("ben", .owner)])]),
            ObservedState(
                projects: [
                    F.project("prj_1", externalID: "acme-x", name: "X"), F.project("prj_2", externalID: nil, name: "Loose"),
                    F.project("prj_3", externalID: nil, name: "Loose too"),
                ],
                members: ["prj_1": [F.member("ben", .owner)], "prj_2": [F.member("cat", .owner), F.member("dan", .editor)]]))
        #expect(report.drift.isEmpty)
        #expect(report.unmanaged == UnmanagedCounts(projectsWithoutExternalID: 2, usersInNoManifest: 3, membershipsUnmanaged: 2))
    }

    @Test func usersInNoManifestIgnoreCaseAndCountEveryUnnamedUser() {
        var ana = F.duser("ana")
        ana.email = "ANA@acme.example"
        var desired = DesiredState(users: [ana], projects: [F.dproject("acme-x", name: "X", members: [F.dmember("ben", .owner)])])
        desired.offboarded = [OffboardedPerson(email: "Dan@acme.example", location: F.loc(3))]
        let twinOfBen = User(id: "usr_ben2", email: "Ben@Acme.example", name: "Ben", role: .member, externalID: nil, status: .active)
        let observed = ObservedState(users: F.users + [twinOfBen, F.user("zed")])
        // cat, eve and zed: named nowhere; both Bens are named by the project's member, Dan by offboarded:.
        #expect(unmanagedCounts(desired: desired, observed: observed).usersInNoManifest == 3)

        // Everyone named by `users:` already: the members after it change nothing.
        let everyone = DesiredState(
            users: observed.users.map { F.duser(String($0.email.lowercased().prefix { $0 != "@" })) },
            projects: [F.dproject("acme-x", name: "X", members: [F.dmember("nobody", .owner)])])
        #expect(unmanagedCounts(desired: everyone, observed: observed).usersInNoManifest == 0)
    }

    @Test func theJSONDocumentCarriesEveryKeyAndTheRenderingsStartWithTheOrganization() throws {
        var desired = DesiredState(projects: [F.dproject("acme-x", name: "New")])
        desired.organization = OrganizationSection(name: "Acme", anchor: "usr_ana", location: F.loc(1), root: ".")
        let report = Self.drift(desired, ObservedState(projects: [F.project("prj_1", externalID: "acme-x", name: "Old")]))
        let object = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        #expect(object["kind"] as? String == "cogramctl-drift")
        #expect(object["format_version"] as? String == "1")
        #expect((object["organization"] as? [String: Any])?["name"] as? String == "Acme")
        let item = try #require((object["drift"] as? [[String: Any]])?.first)
        #expect(Set(item.keys).isSuperset(of: ["kind", "address", "field", "manifest", "cogram", "updated_at", "location", "adoptable"]))
        #expect((object["unmanaged"] as? [String: Any])?["users_in_no_manifest"] as? Int == 5)
        #expect(renderHuman(report).hasPrefix("Organization: Acme (anchor usr_ana)\nAPI: https://api.cogram.com, key from COGRAM_API_KEY\n"))
        let markdown = renderMarkdown(report, paths: ["org dir"])
        #expect(markdown.contains("`cogramctl apply 'org dir'`"))
        #expect(markdown.contains("keep Cogram's values: `cogramctl drift --adopt 'org dir'`"))
        #expect(markdown.contains("### Drift in Acme\n\nOrganization: Acme (anchor usr\\_ana)  \n"))
        let human = renderHuman(report, paths: ["org dir"])
        #expect(human.contains("\nRevert Cogram to the manifests: cogramctl apply 'org dir'\nOr write Cogram's values into the manifests: cogramctl drift --adopt 'org dir'\n"))
        #expect(!renderHuman(report).contains("cogramctl apply"))
    }

    @Test func driftMakesExactlyTheRequestsOfAFullRead() async throws {
        let store = FakeStore(
            projects: [
                F.project("prj_1", externalID: "acme-x", name: "X"), F.project("prj_2", externalID: nil, name: "Loose"),
                F.project("prj_3", externalID: "acme-old", name: "Old", status: .archived),
            ],
            members: ["prj_1": [F.member("ana", .owner)], "prj_2": [F.member("ben", .owner)], "prj_3": []],
            users: F.users)
        let desired = DesiredState(projects: [F.dproject("acme-x", name: "X", members: [F.dmember("ana", .owner)])])
        let (report, _, _) = try await readDrift(
            desired: desired, client: FakeCogram(store: store), options: F.options(), parallelism: 1)
        #expect(report.drift.isEmpty)
        #expect(report.unmanaged.membershipsUnmanaged == 1)
        let log = await store.readLog
        #expect(log.sorted() == ["LIST-MEMBERS prj_1", "LIST-MEMBERS prj_2", "LIST-MEMBERS prj_3", "LIST-PROJECTS", "LIST-USERS"], "\(log)")
    }

    @Test func aKeyOfAnotherOrganizationStopsDriftBeforeAnythingIsCompared() async throws {
        var desired = DesiredState(projects: [F.dproject("acme-x", name: "X")])
        desired.organization = OrganizationSection(name: "Acme", anchor: "usr_nobody", location: F.loc(1), root: ".")
        let store = FakeStore(projects: [F.project("prj_1", externalID: "acme-x", name: "Other")], users: F.users)
        await #expect(throws: AnchorMismatch.self) {
            _ = try await readDrift(
                desired: desired, client: FakeCogram(store: store), options: F.options(), parallelism: 1, keySource: "COGRAM_API_KEY_ACME")
        }
    }
}
