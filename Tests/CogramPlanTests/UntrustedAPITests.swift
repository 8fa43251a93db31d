import CogramTestSupport
import CogramAPI
import CogramManifest
@testable import CogramPlan
import Foundation
import Testing

/// A Cogram that differs from the contract: filters ignored, ids shared, values cogramctl does not know.
@Suite struct UntrustedAPITests {
    private func observe(_ store: FakeStore, _ desired: DesiredState) async throws -> Plan {
        let observed = try await readObservedState(desired: desired, client: FakeCogram(store: store), parallelism: 2)
        return F.plan(desired, observed)
    }

    // MARK: Filters are verified

    @Test func createConflictOnAServerIgnoringTheFilterNeverPatchesAnotherProject() async throws {
        let store = FakeStore(projects: [F.project("prj_1", externalID: "acme-other", name: "Unrelated")], users: F.users)
        let desired = DesiredState(projects: [
            F.dproject("acme-other", name: "Unrelated"), F.dproject("acme-x", name: "X", members: [F.dmember("ana", .owner)]),
        ])
        let plan = try await observe(store, desired)
        #expect(plan.actions == ["create project.acme-x", "add_member project.acme-x.member.ana@acme.example"])
        await store.setIgnoresFilters(true)
        await store.inject("POST acme-x", status: 409)
        let report = await apply(plan: plan, client: FakeCogram(store: store))
        // The read-back answered every project; none carries acme-x, so nothing is adopted or renamed.
        #expect(await store.writeLog == ["POST acme-x"])
        #expect(await store.projects.map(\.name) == ["Unrelated"])
        guard case .failed = report.results[0].outcome else {
            Issue.record("the create should fail, got \(report.results[0].outcome)")
            return
        }
        #expect(report.results[1].outcome == .skipped("project.acme-x was not created"))
    }

    @Test func lostCreateOnAServerIgnoringTheFilterAdoptsTheProjectThatCarriesTheID() async throws {
        let store = FakeStore(projects: [F.project("prj_1", externalID: "acme-other", name: "Unrelated")], users: F.users)
        let desired = DesiredState(projects: [F.dproject("acme-other", name: "Unrelated"), F.dproject("acme-x", name: "X")])
        let plan = try await observe(store, desired)
        await store.setIgnoresFilters(true)
        await store.inject("POST acme-x", status: 500, afterChange: true)
        let report = await apply(plan: plan, client: FakeCogram(store: store))
        guard case .reconciled = report.results[0].outcome else {
            Issue.record("expected reconciled, got \(report.results[0].outcome)")
            return
        }
        #expect(await store.writeLog == ["POST acme-x"])
        #expect(await store.projects.map(\.name).sorted() == ["Unrelated", "X"])
    }

    @Test func createReadBackFindingSeveralCarriersAdoptsNone() async throws {
        let store = FakeStore(users: F.users)
        let plan = try await observe(store, DesiredState(projects: [F.dproject("acme-x", name: "X")]))
        await store.setProjects([
            F.project("prj_a", externalID: "acme-x", name: "A", status: .archived), F.project("prj_b", externalID: "acme-x", name: "B"),
        ])
        await store.inject("POST acme-x", status: 409)
        let report = await apply(plan: plan, client: FakeCogram(store: store))
        guard case .failed(let message) = report.results[0].outcome else {
            Issue.record("expected failed, got \(report.results[0].outcome)")
            return
        }
        #expect(message.contains("several projects with external_id \"acme-x\" (prj_a, prj_b)"))
        #expect(await store.writeLog == ["POST acme-x"])
    }

    @Test func preconditionsOnAServerIgnoringFiltersCompareTheRightObjects() async throws {
        let many = (0..<300).map { F.project("prj_\($0)", externalID: "acme-\($0)", name: "P\($0)") }
        let users = F.users + (0..<300).map { F.user("u\($0)") }
        let store = FakeStore(projects: many, users: users)
        var desired = DesiredState(
            users: [F.duser("ben", role: .admin)],
            projects: many.map { F.dproject($0.externalID!, name: $0.name) } + [F.dproject("acme-new", name: "New")])
        desired.projects[7].name = "Renamed"
        let plan = try await observe(store, desired)
        #expect(plan.actions == ["create project.acme-new", "update project.acme-7", "update_user user.ben@acme.example"])
        await store.setIgnoresFilters(true)
        let planned = await store.readLog.count
        #expect(try await checkPreconditions(plan: plan, client: FakeCogram(store: store)).isEmpty)
        // Reads were filtered ones (one per object), each answered with everything and checked on our side.
        let reads = await store.readLog.dropFirst(planned)
        #expect(reads.sorted() == ["LIST-PROJECTS external_id=acme-7", "LIST-PROJECTS external_id=acme-new", "LIST-USERS email=ben@acme.example"])

        await store.editProject("prj_7") { $0.updatedAt = "2026-02-02T00:00:00Z" }
        let failures = try await checkPreconditions(plan: plan, client: FakeCogram(store: store))
        #expect(failures.map(\.address) == ["project.acme-7"])
    }

    @Test func preconditionsReadProjectsThroughTheListThatMadeThePlan() async throws {
        let store = FakeStore(projects: [F.project("prj_1", externalID: "acme-a", name: "A")], users: F.users)
        let plan = try await observe(store, DesiredState(projects: [F.dproject("acme-a", name: "B")]))
        let planned = await store.readLog.count
        _ = try await checkPreconditions(plan: plan, client: FakeCogram(store: store))
        let reads = await store.readLog.dropFirst(planned)
        #expect(reads.count == 1 && reads.allSatisfy { $0.hasPrefix("LIST-PROJECTS") }, "\(reads)")
    }

    // MARK: Ambiguity

    @Test func twoProjectsWithOneManagedExternalIDStopThePlan() async throws {
        let observed = ObservedState(
            projects: [
                F.project("prj_1", externalID: "acme-a", name: "A"), F.project("prj_2", externalID: "acme-a", name: "A copy"),
                F.project("prj_3", externalID: "acme-z", name: "Z"), F.project("prj_4", externalID: "acme-z", name: "Z copy"),
                F.project("prj_5", externalID: "other-q"), F.project("prj_6", externalID: "other-q"),
            ],
            users: F.users)
        var desired = DesiredState(projects: [F.dproject("acme-a", name: "A", line: 12)])
        desired.ownership = Ownership(externalIDPrefix: "acme-", location: F.loc(1))
        let plan = F.plan(desired, observed)
        #expect(plan.changes.isEmpty, "\(plan.actions)")
        #expect(plan.errors.map(\.message).sorted() == [
            "external_id \"acme-a\" is carried by 2 Cogram projects (prj_1, prj_2); cogramctl cannot tell which one the manifests mean, so nothing was planned. Give all but one another external_id (or none) in the Cogram app, then plan again",
            "external_id \"acme-z\" is carried by 2 Cogram projects (prj_3, prj_4); cogramctl cannot tell which one the manifests mean, so nothing was planned. Give all but one another external_id (or none) in the Cogram app, then plan again",
        ])
        #expect(plan.errors.first { $0.message.contains("acme-a") }?.location == F.loc(12))
    }

    @Test func twoUsersWithOneEmailStopThePlan() {
        var twin = F.user("ben")
        twin.id = "usr_ben2"
        twin.email = "BEN@acme.example"
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: "acme-a", name: "A")], users: F.users + [twin],
            members: ["prj_1": [F.member("ana", .owner)]])
        let desired = DesiredState(
            users: [F.duser("ben", role: .admin, line: 4)],
            projects: [F.dproject("acme-a", name: "A", members: [F.dmember("ana", .owner), F.dmember("ben", .editor, line: 9)])])
        let plan = F.plan(desired, observed)
        #expect(plan.errors.count == 2)
        #expect(plan.errors.allSatisfy { $0.message.contains("is the email of 2 Cogram users (usr_ben, usr_ben2)") })
        #expect(plan.errors.map(\.location) == [F.loc(4), F.loc(9, 9)])
        #expect(!plan.actions.contains { $0.contains("ben") })
    }

    @Test func oneEmailTwiceInAMemberListStopsThePlan() {
        var twin = F.member("ben", .viewer)
        twin.userID = "usr_ben2"
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: "acme-a", name: "A")], users: F.users,
            members: ["prj_1": [F.member("ana", .owner), F.member("ben", .editor), twin]])
        let desired = DesiredState(projects: [F.dproject("acme-a", name: "A", members: [F.dmember("ana", .owner)])])
        let plan = F.plan(desired, observed)
        #expect(plan.errors.map(\.message) == [
            "ben@acme.example is listed 2 times among the members of project.acme-a in Cogram (users usr_ben, usr_ben2); cogramctl cannot tell which one the manifest means. Fix the duplicate users in the Cogram app, then plan again",
        ])
        #expect(plan.changes.isEmpty)
    }

    // MARK: Values cogramctl does not know

    @Test func unknownEnumValuesAndMissingUnusedFieldsDecode() throws {
        let project = try JSONDecoder().decode(Project.self, from: Data(#"{"id":"p","name":"P","status":"frozen","updated_at":"2026-01-01T00:00:00Z","color":"red"}"#.utf8))
        #expect(project.status == .unknown("frozen") && project.createdAt == nil && project.externalID == nil)
        #expect(project.status.description == "unknown(frozen)")
        let member = try JSONDecoder().decode(Member.self, from: Data(#"{"user_id":"u","email":"a@b.c","role":"approver"}"#.utf8))
        #expect(member.role == .unknown("approver") && member.name == nil && member.addedAt == nil)
        let user = try JSONDecoder().decode(User.self, from: Data(#"{"id":"u","email":"a@b.c","role":"billing","status":"pending"}"#.utf8))
        #expect(user.role == .unknown("billing") && user.status == .unknown("pending") && user.name == nil)
        let known = try JSONDecoder().decode(Member.self, from: Data(#"{"user_id":"u","email":"a@b.c","name":"A","role":"owner","added_at":"x"}"#.utf8))
        #expect(known.role == .known(.owner))
        // Re-encoded as sent.
        #expect(String(decoding: try JSONEncoder().encode(member.role), as: UTF8.self) == #""approver""#)
    }

    @Test func anUnknownMemberRoleIsReplacedOnlyWhenTheManifestAsks() throws {
        var approver = F.member("ben", .viewer)
        approver.role = .unknown("approver")
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: "acme-a", name: "A"), F.project("prj_2", externalID: "acme-b", name: "B")],
            users: F.users,
            members: ["prj_1": [F.member("ana", .owner), approver]])
        let desired = DesiredState(projects: [
            F.dproject("acme-a", name: "A", members: [F.dmember("ana", .owner), F.dmember("ben", .editor)]),
            F.dproject("acme-b", name: "B"),  // members not managed: untouched, whatever they are
        ])
        let plan = F.plan(desired, observed)
        #expect(plan.errors.isEmpty)
        #expect(plan.actions == ["update_member project.acme-a.member.ben@acme.example"])
        let change = try #require(plan.changes.first)
        #expect(change.before?.role == "approver" && change.after?.role == "editor")
        #expect(change.precondition == .member(role: .unknown("approver")))
        #expect(renderHuman(plan, color: false).contains("~ member ben@acme.example: approver → editor"))
        // The unknown role survives a saved plan.
        let reloaded = try Plan.load(from: try plan.jsonData())
        #expect(reloaded.changes == plan.changes)

        // Listed with the same members but no new role for ben: an unknown role is kept as it is.
        var same = desired
        same.projects[0].members = [F.dmember("ana", .owner)]
        #expect(F.plan(same, observed).actions == ["remove_member project.acme-a.member.ben@acme.example"])
    }

    @Test func aProjectWithAnUnknownStatusIsLeftAloneWithAWarning() {
        var frozen = F.project("prj_1", externalID: "acme-a", name: "Old")
        frozen.status = .unknown("frozen")
        var frozenUnlisted = F.project("prj_2", externalID: "acme-b", name: "B")
        frozenUnlisted.status = .unknown("frozen")
        let observed = ObservedState(projects: [frozen, frozenUnlisted, F.project("prj_3", externalID: "acme-c")], users: F.users, members: ["prj_1": []])
        let desired = DesiredState(projects: [
            F.dproject("acme-a", name: "New name", members: [F.dmember("ana", .owner)], line: 7),
            F.dproject("acme-c", name: "Project prj_3"),
        ])
        let plan = F.plan(desired, observed)
        #expect(plan.changes.isEmpty, "\(plan.actions)")
        #expect(plan.warnings == [
            "org.yaml:7:3: project.acme-a (prj_1) has status \"frozen\", which cogramctl does not know; it is left alone",
        ])
        #expect(plan.inventory.managedActiveProjects == 1)
    }

    @Test func aUserWithAnUnknownStatusOrRoleIsNotGuessed() {
        var pending = F.user("dan")
        pending.status = .unknown("pending")
        var billing = F.user("ben")
        billing.role = .unknown("billing")
        let users = F.users.filter { $0.id != "usr_dan" && $0.id != "usr_ben" } + [pending, billing]
        let observed = ObservedState(
            projects: [F.project("prj_1", externalID: "acme-a", name: "A")], users: users,
            members: ["prj_1": [F.member("ana", .owner), F.member("dan", .viewer)]])
        let desired = DesiredState(
            users: [F.duser("ben", externalID: .value("E-9")), F.duser("dan", role: .admin, line: 6)],
            projects: [F.dproject("acme-a", name: "A", members: [F.dmember("ana", .owner), F.dmember("dan", .editor, line: 9)])])
        let plan = F.plan(desired, observed)
        #expect(plan.errors.isEmpty)
        // ben's unknown role is not touched (no role asked); dan's changes are left out, and dan is not removed.
        #expect(plan.actions == ["update_user user.ben@acme.example"])
        #expect(plan.changes.first?.precondition == .user(role: .unknown("billing"), externalID: nil))
        #expect(plan.warnings.count == 2 && plan.warnings.allSatisfy { $0.contains("has status \"pending\"") })
    }

    // MARK: Instants

    @Test func timestampsCompareAsInstants() {
        #expect(Instant.same("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"))
        #expect(Instant.same("2026-01-01T00:00:00Z", "2026-01-01T02:00:00+02:00"))
        #expect(Instant.same("2026-01-01T00:00:00.5Z", "2025-12-31T19:00:00.500000-05:00"))
        #expect(Instant.same("2026-01-01t00:00:00z", "2026-01-01T00:00:00Z"))
        #expect(!Instant.same("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.001Z"))
        #expect(!Instant.same("2026-01-01T00:00:00.123456789Z", "2026-01-01T00:00:00.123456788Z"))
        #expect(!Instant.same("2026-01-01T00:00:00Z", "2026-01-01T00:00:00+01:00"))
        #expect(Instant(rfc3339: "2026-01-01 00:00:00Z") != nil)
        #expect(Instant(rfc3339: "2026-01-01T00:00:00") == nil)
        #expect(Instant(rfc3339: "2026-13-01T00:00:00Z") == nil)
        #expect(Instant(rfc3339: "2026-01-01T00:00:00.Z") == nil)
        #expect(Instant(rfc3339: "1970-01-01T00:00:01Z")?.seconds == 1)
        #expect(Instant(rfc3339: "2026-02-28T12:00:00Z")?.date == F.fixedNow)
        // Not RFC 3339 on either side: compared as text.
        #expect(Instant.same("yesterday", "yesterday") && !Instant.same("yesterday", "today"))
    }

    @Test func aPreconditionHoldsWhenTheServerSpellsTheSameInstantOtherwise() async throws {
        let store = FakeStore(projects: [F.project("prj_1", externalID: "acme-a", name: "A", updatedAt: "2026-01-01T00:00:00Z")], users: F.users)
        let plan = try await observe(store, DesiredState(projects: [F.dproject("acme-a", name: "B")]))
        await store.editProject("prj_1") { $0.updatedAt = "2026-01-01T01:00:00.000000+01:00" }
        #expect(try await checkPreconditions(plan: plan, client: FakeCogram(store: store)).isEmpty)
        await store.editProject("prj_1") { $0.updatedAt = "2026-01-01T01:00:00.001+01:00" }
        #expect(try await checkPreconditions(plan: plan, client: FakeCogram(store: store)).map(\.address) == ["project.acme-a"])
    }
}
