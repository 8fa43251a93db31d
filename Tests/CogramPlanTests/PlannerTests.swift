import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

/// One planner rule: a desired and an observed state, and the exact changes (`action address`) expected.
struct PlannerCase: CustomTestStringConvertible, Sendable {
    var name: String
    var desired: DesiredState
    var observed: ObservedState
    var expected: [String]
    var testDescription: String { name }
}

private func P(
    _ id: String, externalID: String?, name: String? = nil, description: String? = nil,
    status: ProjectStatus = .active, updatedAt: String = F.stamp
) -> Project {
    F.project(id, externalID: externalID, name: name, description: description, status: status, updatedAt: updatedAt)
}

private func D(
    _ externalID: String, name: String? = nil, description: FieldValue<String> = .absent, id: String? = nil,
    previous: [String] = [], archived: Bool = false, members: [DesiredMember]? = nil, line: Int = 10
) -> DesiredProject {
    F.dproject(externalID, name: name, description: description, id: id, previous: previous, archived: archived, members: members, line: line)
}

let plannerCases: [PlannerCase] = [
    PlannerCase(
        name: "create when not found",
        desired: DesiredState(projects: [D("acme-x", name: "X")]),
        observed: ObservedState(users: F.users),
        expected: ["create project.acme-x"]),
    PlannerCase(
        name: "nothing when equal",
        desired: DesiredState(projects: [D("acme-x", name: "X", description: .value("d"))]),
        observed: ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "X", description: "d")]),
        expected: []),
    PlannerCase(
        name: "update of the name",
        desired: DesiredState(projects: [D("acme-x", name: "New")]),
        observed: ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "Old", description: "kept")]),
        expected: ["update project.acme-x"]),
    PlannerCase(
        name: "absent description is not managed",
        desired: DesiredState(projects: [D("acme-x", name: "X")]),
        observed: ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "X", description: "anything")]),
        expected: []),
    PlannerCase(
        name: "description null clears",
        desired: DesiredState(projects: [D("acme-x", name: "X", description: .null)]),
        observed: ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "X", description: "old")]),
        expected: ["update project.acme-x"]),
    PlannerCase(
        name: "description null on a null description is nothing",
        desired: DesiredState(projects: [D("acme-x", name: "X", description: .null)]),
        observed: ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "X")]),
        expected: []),
    PlannerCase(
        name: "unlisted managed active project is archived",
        desired: DesiredState(projects: [D("acme-x", name: "X")]),
        observed: ObservedState(projects: [
            P("prj_1", externalID: "acme-x", name: "X"), P("prj_2", externalID: "acme-y"),
            P("prj_3", externalID: "acme-z"), P("prj_4", externalID: "acme-w"),
        ]),
        expected: ["archive project.acme-y", "archive project.acme-w", "archive project.acme-z"].sorted()),
    PlannerCase(
        name: "unlisted archived project stays",
        desired: DesiredState(projects: []),
        observed: ObservedState(projects: [P("prj_1", externalID: "acme-y", status: .archived)]),
        expected: []),
    PlannerCase(
        name: "projects without external_id are never touched",
        desired: DesiredState(projects: []),
        observed: ObservedState(projects: [P("prj_1", externalID: nil)]),
        expected: []),
    PlannerCase(
        name: "projects outside the ownership prefix are never touched",
        desired: DesiredState(ownership: Ownership(externalIDPrefix: "acme-", location: F.loc(2)), projects: []),
        observed: ObservedState(projects: [P("prj_1", externalID: "other-y"), P("prj_2", externalID: "acme-z")]),
        expected: ["archive project.acme-z"]),
    PlannerCase(
        name: "restore an archived project the manifest lists",
        desired: DesiredState(projects: [D("acme-x", name: "X")]),
        observed: ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "X", status: .archived)]),
        expected: ["restore project.acme-x"]),
    PlannerCase(
        name: "archived: true keeps an archived project archived",
        desired: DesiredState(projects: [D("acme-x", name: "Renamed", archived: true)]),
        observed: ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "X", status: .archived)]),
        expected: []),
    PlannerCase(
        name: "archived: true archives an active project",
        desired: DesiredState(projects: [D("acme-x", name: "X", archived: true)]),
        observed: ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "X")]),
        expected: ["archive project.acme-x"]),
    PlannerCase(
        name: "archived: true and not found creates nothing",
        desired: DesiredState(projects: [D("acme-x", name: "X", archived: true)]),
        observed: ObservedState(),
        expected: []),
    PlannerCase(
        name: "adoption by id sets the external_id",
        desired: DesiredState(projects: [D("acme-x", name: "Loose", id: "prj_1")]),
        observed: ObservedState(projects: [P("prj_1", externalID: nil, name: "Loose")]),
        expected: ["update project.acme-x"]),
    PlannerCase(
        name: "re-key via previous_external_ids is an update, never archive + create",
        desired: DesiredState(projects: [D("acme-new", name: "X", previous: ["acme-gone", "acme-old"])]),
        observed: ObservedState(projects: [P("prj_1", externalID: "acme-old", name: "X")]),
        expected: ["update project.acme-new"]),
    PlannerCase(
        name: "members: add, change, remove",
        desired: DesiredState(projects: [D("acme-x", name: "X", members: [F.dmember("ana", .owner), F.dmember("BEN@acme.example", .editor), F.dmember("dan", .viewer)])]),
        observed: ObservedState(
            projects: [P("prj_1", externalID: "acme-x", name: "X")], users: F.users,
            members: ["prj_1": [F.member("ana", .owner), F.member("ben", .viewer), F.member("cat", .viewer)]]),
        expected: [
            "add_member project.acme-x.member.dan@acme.example", "update_member project.acme-x.member.ben@acme.example",
            "remove_member project.acme-x.member.cat@acme.example",
        ]),
    PlannerCase(
        name: "members absent leaves membership alone",
        desired: DesiredState(projects: [D("acme-x", name: "X")]),
        observed: ObservedState(
            projects: [P("prj_1", externalID: "acme-x", name: "X")], users: F.users,
            members: ["prj_1": [F.member("ana", .owner)]]),
        expected: []),
    PlannerCase(
        name: "members [] removes everyone",
        desired: DesiredState(projects: [D("acme-x", name: "X", members: [])]),
        observed: ObservedState(
            projects: [P("prj_1", externalID: "acme-x", name: "X")], users: F.users,
            members: ["prj_1": [F.member("ana", .owner), F.member("ben", .viewer)]]),
        expected: ["remove_member project.acme-x.member.ana@acme.example", "remove_member project.acme-x.member.ben@acme.example"]),
    PlannerCase(
        name: "a created project's members are added",
        desired: DesiredState(projects: [D("acme-x", name: "X", members: [F.dmember("ana", .owner), F.dmember("ben", .viewer)])]),
        observed: ObservedState(users: F.users),
        expected: ["create project.acme-x", "add_member project.acme-x.member.ana@acme.example", "add_member project.acme-x.member.ben@acme.example"]),
    PlannerCase(
        name: "users: role and external_id when set and different",
        desired: DesiredState(users: [
            F.duser("ana", role: .admin, externalID: .value("E-1")),  // equal: nothing
            F.duser("ben", role: .guest), F.duser("cat", externalID: .value("E-3")), F.duser("dan"),
        ]),
        observed: ObservedState(users: F.users),
        expected: ["update_user user.ben@acme.example", "update_user user.cat@acme.example"]),
]

@Suite struct PlannerTests {
    @Test(arguments: plannerCases)
    func rule(_ c: PlannerCase) {
        var observed = c.observed
        if observed.users.isEmpty { observed.users = F.users }
        let plan = F.plan(c.desired, observed) { $0.allowMassArchive = true }
        #expect(plan.errors.isEmpty)
        #expect(plan.actions.sorted() == c.expected.sorted())
    }

    @Test func updateCarriesOnlyTheChangedFields() throws {
        let plan = F.plan(
            DesiredState(projects: [D("acme-x", name: "New", description: .null)]),
            ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "Old", description: "text", updatedAt: "2026-02-02T00:00:00Z")]))
        let change = try #require(plan.change("project.acme-x"))
        #expect(change.before == ChangeFields(name: "Old", description: .value("text")))
        #expect(change.after == ChangeFields(name: "New", description: .null))
        #expect(change.precondition == .project(updatedAt: "2026-02-02T00:00:00Z", status: .active))
        #expect(change.target == ChangeTarget(projectID: "prj_1", projectExternalID: "acme-x"))
    }

    @Test func adoptionAndReKeySetTheExternalID() throws {
        let plan = F.plan(
            DesiredState(projects: [D("acme-x", name: "X", id: "prj_1"), D("acme-y", name: "Y", previous: ["acme-old"])]),
            ObservedState(projects: [P("prj_1", externalID: nil, name: "X"), P("prj_2", externalID: "acme-old", name: "Y")]))
        #expect(plan.change("project.acme-x")?.before == ChangeFields(externalID: .null))
        #expect(plan.change("project.acme-x")?.after == ChangeFields(externalID: .value("acme-x")))
        #expect(plan.change("project.acme-y")?.after == ChangeFields(externalID: .value("acme-y")))
        #expect(plan.change("project.acme-y")?.target.projectID == "prj_2")
        #expect(plan.summary.archive == 0 && plan.summary.create == 0)
    }

    @Test func restoreFoldsFieldChangesIntoOneChange() throws {
        let plan = F.plan(
            DesiredState(projects: [D("acme-x", name: "New")]),
            ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "Old", status: .archived)]))
        #expect(plan.actions == ["restore project.acme-x"])
        #expect(plan.changes[0].after == ChangeFields(name: "New", status: .active))
        #expect(plan.changes[0].before == ChangeFields(name: "Old", status: .archived))
    }

    @Test func createCarriesTheFieldsAndAbsentPrecondition() throws {
        let plan = F.plan(
            DesiredState(projects: [D("acme-x", name: "X", description: .value("d"), members: [F.dmember("ana", .owner)])]),
            ObservedState(users: F.users))
        let create = try #require(plan.change("project.acme-x"))
        #expect(create.after == ChangeFields(name: "X", description: .value("d"), externalID: .value("acme-x")))
        #expect(create.precondition == .projectAbsent(externalID: "acme-x"))
        let add = try #require(plan.change("project.acme-x.member.ana@acme.example"))
        #expect(add.target == ChangeTarget(projectID: nil, projectExternalID: "acme-x", userID: "usr_ana", email: "ana@acme.example"))
        #expect(add.precondition == .memberAbsent)
    }

    @Test func userChangeCarriesBeforeAfterAndPrecondition() throws {
        let plan = F.plan(
            DesiredState(users: [F.duser("ANA@Acme.Example", role: .guest, externalID: .null)]),
            ObservedState(users: F.users))
        let change = try #require(plan.change("user.ana@acme.example"))
        #expect(change.before == ChangeFields(externalID: .value("E-1"), role: "admin"))
        #expect(change.after == ChangeFields(externalID: .null, role: "guest"))
        #expect(change.precondition == .user(role: .known(.admin), externalID: "E-1"))
        #expect(change.target.userID == "usr_ana")
    }

    // MARK: Errors

    @Test(arguments: [
        ("nobody@acme.example", "is not a user of the organization"),
        ("eve@acme.example", "is deactivated"),
    ])
    func unknownOrDeactivatedEmailIsAnErrorWithLocation(_ email: String, _ fragment: String) throws {
        let plan = F.plan(
            DesiredState(
                users: [F.duser(email, role: .admin, line: 4)],
                projects: [D("acme-x", name: "X", members: [F.dmember(email, .owner, line: 12)])]),
            ObservedState(users: F.users))
        #expect(plan.errors.count == 2)
        #expect(plan.errors.map(\.location) == [F.loc(4), F.loc(12, 9)])
        #expect(plan.errors.allSatisfy { $0.message.contains(fragment) && $0.message.contains(email) })
        #expect(plan.errors[0].description.hasPrefix("org.yaml:4:3: error: \(email) (user) "))
        #expect(plan.changes.filter { $0.action == .addMember }.isEmpty)
    }

    @Test func mistypedEmailGetsTheClosestUserOfTheOrganization() {
        let plan = F.plan(
            DesiredState(projects: [D("acme-x", name: "X", members: [F.dmember("bne@acme.example", .owner, line: 12)])]),
            ObservedState(users: F.users))
        #expect(plan.errors.map(\.message) == [
            "bne@acme.example (member of project \"acme-x\") is not a user of the organization; did you mean ben@acme.example? Otherwise fix the email, or invite them in the Cogram app first",
        ])
    }

    @Test func adoptingAMissingIDIsAnError() {
        let plan = F.plan(DesiredState(projects: [D("acme-x", name: "X", id: "prj_nope", line: 7)]), ObservedState(users: F.users))
        #expect(plan.errors.map(\.location) == [F.loc(7)])
        #expect(plan.changes.isEmpty)
    }

    @Test func twoManifestProjectsClaimingOneProjectIsAnError() {
        let plan = F.plan(
            DesiredState(projects: [D("acme-x", name: "X", line: 7), D("acme-y", name: "Y", previous: ["acme-x"], line: 9)]),
            ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "X"), P("prj_2", externalID: "acme-y", name: "Y")]))
        // acme-y matches its own external_id first; previous ids are only a fallback: no error.
        #expect(plan.errors.isEmpty)
        let clash = F.plan(
            DesiredState(projects: [D("acme-x", name: "X", line: 7), D("acme-z", name: "Z", id: "prj_1", line: 9)]),
            ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "X")]))
        #expect(clash.errors.count == 1)
    }

    // MARK: Safety caps

    private func archivePlan(active: Int, archived: Int, _ configure: (inout PlanOptions) -> Void = { _ in }) -> Plan {
        let projects = (0..<active).map { P("prj_\($0)", externalID: "acme-\($0)", name: "P\($0)") }
        let desired = (archived..<active).map { D("acme-\($0)", name: "P\($0)") }
        return F.plan(DesiredState(projects: desired), ObservedState(projects: projects, users: F.users), configure)
    }

    @Test func archiveCap() {
        #expect(archivePlan(active: 3, archived: 1).safetyViolations.isEmpty)  // max(1, 0) = 1
        #expect(archivePlan(active: 8, archived: 2).safetyViolations.isEmpty)  // 25% of 8 = 2
        let over = archivePlan(active: 8, archived: 3)
        #expect(over.safetyViolations.map(\.kind) == [.massArchive])
        #expect(over.safetyViolations[0].flag.contains("--allow-mass-archive"))
        #expect(over.safetyViolations[0].message == "the plan archives 3 of 8 managed active projects, more than the cap of 2")
        #expect(archivePlan(active: 8, archived: 3) { $0.allowMassArchive = true }.safetyViolations.isEmpty)
        #expect(archivePlan(active: 8, archived: 3) { $0.maxArchive = 3 }.safetyViolations.isEmpty)
        #expect(archivePlan(active: 8, archived: 4) { $0.maxArchive = 3 }.safetyViolations.count == 1)
    }

    private func removalPlan(members: Int, keep: Int, _ configure: (inout PlanOptions) -> Void = { _ in }) -> Plan {
        let users = (0..<members).map { F.user("u\($0)") }
        let observed = (0..<members).map { F.member("u\($0)", $0 == 0 ? .owner : .viewer) }
        let desired = (0..<keep).map { F.dmember("u\($0)", $0 == 0 ? .owner : .viewer) }
        return F.plan(
            DesiredState(projects: [D("acme-x", name: "X", members: desired)]),
            ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "X")], users: users, members: ["prj_1": observed]),
            configure)
    }

    @Test func memberRemovalCap() {
        #expect(removalPlan(members: 8, keep: 3).safetyViolations.isEmpty)  // 5 removals: max(5, 2) = 5
        #expect(removalPlan(members: 40, keep: 30).safetyViolations.isEmpty)  // 10 of 40: cap 10
        let over = removalPlan(members: 40, keep: 29)
        #expect(over.safetyViolations.map(\.kind) == [.massMemberRemoval])
        #expect(over.safetyViolations[0].flag.contains("--allow-mass-member-removal"))
        #expect(removalPlan(members: 40, keep: 29) { $0.maxMemberRemovals = 11 }.safetyViolations.isEmpty)
        #expect(removalPlan(members: 40, keep: 29) { $0.allowMassMemberRemoval = true }.safetyViolations.isEmpty)
    }

    @Test func noOwnerCap() {
        let observed = ObservedState(
            projects: [P("prj_1", externalID: "acme-x", name: "X")], users: F.users,
            members: ["prj_1": [F.member("ana", .owner), F.member("ben", .viewer)]])
        let desired = DesiredState(projects: [D("acme-x", name: "X", members: [F.dmember("ben", .editor)])])
        let plan = F.plan(desired, observed)
        #expect(plan.safetyViolations.map(\.kind) == [.noOwner])
        #expect(plan.safetyViolations[0].address == "project.acme-x")
        #expect(plan.safetyViolations[0].flag == "--allow-no-owner")
        #expect(F.plan(desired, observed) { $0.allowNoOwner = true }.safetyViolations.isEmpty)
        // A created project without an owner counts too; members: [] (no members at all) does not.
        let created = F.plan(DesiredState(projects: [D("acme-y", name: "Y", members: [F.dmember("ben", .viewer)])]), ObservedState(users: F.users))
        #expect(created.safetyViolations.map(\.kind) == [.noOwner])
        let empty = F.plan(DesiredState(projects: [D("acme-x", name: "X", members: [])]), observed)
        #expect(empty.safetyViolations.isEmpty)
    }

    @Test func savedPlanCapsCanBeRecheckedWithOtherOptions() {
        let plan = archivePlan(active: 8, archived: 3)
        #expect(safetyViolations(plan: plan, options: F.options()).map(\.kind) == [.massArchive])
        #expect(safetyViolations(plan: plan, options: F.options { $0.allowMassArchive = true }).isEmpty)
    }

    // MARK: Targets, ordering

    @Test func targetsLimitProjectAndMemberChanges() {
        let (desired, observed) = F.rich()
        let plan = F.plan(desired, observed) { $0.targets = ["acme-bridge", "acme-old-site", "acme-nothing"] }
        #expect(plan.actions == [
            "update project.acme-bridge", "archive project.acme-old-site",
            "add_member project.acme-bridge.member.dan@acme.example",
            "update_member project.acme-bridge.member.ben@acme.example",
            "remove_member project.acme-bridge.member.cat@acme.example",
        ])
        // A target that matches nothing is an error (the plan is not applied), not a warning.
        #expect(plan.warnings.isEmpty)
        #expect(plan.errors.map(\.message) == ["--target acme-nothing matches no project in the manifests or in Cogram"])
        #expect(plan.targets == ["acme-bridge", "acme-nothing", "acme-old-site"])
    }

    @Test func orderingIsDeterministic() {
        let (desired, observed) = F.rich()
        let plan = F.plan(desired, observed)
        var shuffled = desired
        shuffled.projects.reverse()
        shuffled.users.reverse()
        var shuffledObserved = observed
        shuffledObserved.projects.reverse()
        shuffledObserved.users.reverse()
        shuffledObserved.members = observed.members.mapValues { $0.reversed() }
        #expect(F.plan(shuffled, shuffledObserved) == plan)
        let order = plan.changes.map { ($0.action.sortIndex, $0.address) }
        #expect(order.elementsEqual(order.sorted(by: <), by: ==))
        #expect(Set(plan.changes.map(\.action)) == Set(ChangeAction.allCases))
    }

    @Test func membersNotReadAreLeftAloneWithAWarning() {
        let plan = F.plan(
            DesiredState(projects: [D("acme-x", name: "X", members: [])]),
            ObservedState(projects: [P("prj_1", externalID: "acme-x", name: "X")], users: F.users))
        #expect(plan.changes.isEmpty)
        #expect(plan.warnings.count == 1)
    }
}
