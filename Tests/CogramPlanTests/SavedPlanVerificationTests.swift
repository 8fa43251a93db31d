@testable import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

private let key = PlanSigningKey.derived(fromAPIKey: "test-api-key-0123456789")

/// A signed plan that renames one project and nothing else, and the fake Cogram it was made against.
private func signedRename() async throws -> (Plan, FakeStore) {
    let store = FakeStore(projects: [F.project("prj_1", externalID: "acme-a", name: "A")], users: F.users)
    let desired = DesiredState(projects: [F.dproject("acme-a", name: "B")])
    let observed = try await readObservedState(desired: desired, client: FakeCogram(store: store), parallelism: 2)
    let plan = try F.plan(desired, observed).signed(with: key)
    #expect(plan.actions == ["update project.acme-a"])
    return (plan, store)
}

/// The manifests of `--manifests` as `desired`, with the digest `digest`: their re-plan runs against `store`.
private func manifests(_ desired: DesiredState, store: FakeStore, paths: [String] = ["org.yaml"], digest: String = "sha256:test")
    -> SavedPlanVerification.Manifests
{
    SavedPlanVerification.Manifests(paths: paths, digest: { digest }) {
        let observed = try await readObservedState(desired: desired, client: FakeCogram(store: store), parallelism: 2)
        return F.plan(desired, observed)
    }
}

private let renameToB = DesiredState(projects: [F.dproject("acme-a", name: "B")])

private func verify(
    _ plan: Plan, store: FakeStore, key: PlanSigningKey = key, apiURL: String = "https://api.cogram.com",
    manifests: SavedPlanVerification.Manifests? = nil
) async throws -> SavedPlanVerification.Verdict {
    try await SavedPlanVerification.verify(
        plan, key: key, apiURL: apiURL, manifests: manifests, options: F.options(), client: FakeCogram(store: store),
        parallelism: 2, now: F.fixedNow)
}

@Suite struct SavedPlanVerificationTests {
    @Test func aCurrentSignedPlanIsReady() async throws {
        let (plan, store) = try await signedRename()
        guard case .ready = try await verify(plan, store: store, manifests: manifests(renameToB, store: store)) else {
            Issue.record("a current plan was not ready")
            return
        }
    }

    @Test func theSignatureComesFirst() async throws {
        let (plan, store) = try await signedRename()
        var unsigned = plan
        unsigned.signature = nil
        // An unsigned plan is refused before its manifests are even read.
        let manifests = SavedPlanVerification.Manifests(paths: ["org.yaml"]) {
            Issue.record("the manifests were read before the signature was checked")
            return ""
        } replan: {
            Issue.record("the manifests were planned before the signature was checked")
            return plan
        }
        guard case .invalid(let reason) = try await verify(unsigned, store: store, manifests: manifests) else {
            Issue.record("an unsigned plan was accepted")
            return
        }
        #expect(reason == PlanValidationError.unsigned.description)

        guard case .invalid(let other) = try await verify(plan, store: store, key: .fromSecret("another key")) else {
            Issue.record("a plan signed with another key was accepted")
            return
        }
        #expect(other == PlanValidationError.badSignature("COGRAM_PLAN_KEY").description)
    }

    @Test func anotherAPIOrOtherManifestsAreRefused() async throws {
        let (plan, store) = try await signedRename()
        guard case .invalid(let api) = try await verify(plan, store: store, apiURL: "https://other.example") else {
            Issue.record("a plan for another API was accepted")
            return
        }
        #expect(api.hasPrefix("the plan was made against https://api.cogram.com but this run talks to https://other.example"))

        let changed = manifests(renameToB, store: store, paths: ["a.yaml", "b.yaml"], digest: "sha256:other")
        guard case .invalid(let reason) = try await verify(plan, store: store, manifests: changed) else {
            Issue.record("a plan from other manifests was accepted")
            return
        }
        #expect(reason == SavedPlanVerification.manifestsChanged(["a.yaml", "b.yaml"]))
        #expect(reason.hasPrefix("the manifests changed since the plan was made: a.yaml b.yaml no longer produce this plan"))
    }

    @Test func anEmptyPlanHasNothingToDo() async throws {
        let store = FakeStore(projects: [F.project("prj_1", externalID: "acme-a", name: "A")], users: F.users)
        let desired = DesiredState(projects: [F.dproject("acme-a", name: "A")])
        let observed = try await readObservedState(desired: desired, client: FakeCogram(store: store), parallelism: 2)
        let plan = try F.plan(desired, observed).signed(with: key)
        guard case .nothingToDo = try await verify(plan, store: store) else {
            Issue.record("an empty plan was not reported as nothing to do")
            return
        }
    }

    @Test func aMovedObjectMakesThePlanStale() async throws {
        let (plan, store) = try await signedRename()
        await store.editProject("prj_1") { $0.updatedAt = "2026-02-02T00:00:00Z" }
        guard case .stale(let moved) = try await verify(plan, store: store) else {
            Issue.record("a plan whose project moved was not stale")
            return
        }
        #expect(moved.map(\.address) == ["project.acme-a"])
    }

    @Test func theCapsAreMeasuredAgainstCogramNow() async throws {
        // Two of two managed projects archived: over the cap of max(1, 25%), which the plan was made without
        // lifting; saved anyway, it is refused when applied.
        let store = FakeStore(projects: [F.project("prj_1", externalID: "acme-a"), F.project("prj_2", externalID: "acme-b")], users: F.users)
        let desired = DesiredState(projects: [])
        let observed = try await readObservedState(desired: desired, client: FakeCogram(store: store), parallelism: 2)
        let plan = try F.plan(desired, observed).signed(with: key)
        #expect(plan.actions.count == 2)
        guard case .refused(let violations) = try await verify(plan, store: store) else {
            Issue.record("a mass archive was not refused")
            return
        }
        #expect(violations.map(\.kind) == [.massArchive])
    }

    /// A project whose member list the manifests leave alone, and the fake Cogram with ana owner, ben editor.
    private static func teamStore() -> FakeStore {
        FakeStore(
            projects: [F.project("prj_1", externalID: "acme-a", name: "A")],
            members: ["prj_1": [F.member("ana", .owner), F.member("ben", .editor)]], users: F.users)
    }

    private static func signed(_ desired: DesiredState, store: FakeStore) async throws -> Plan {
        let observed = try await readObservedState(desired: desired, client: FakeCogram(store: store), parallelism: 2)
        return try F.plan(desired, observed).signed(with: key)
    }

    /// Issue 23.1: whoever holds the plan key signs a plan that copies the manifests' digest and demotes a user
    /// the manifests never mention. The re-plan of the manifests does not call for it: refused, nothing applied.
    @Test func aPlanKeyAloneCannotMakeApplyDoWhatTheManifestsDoNotAskFor() async throws {
        let store = Self.teamStore()
        let forged = try await Self.signed(DesiredState(projects: [
            F.dproject("acme-a", name: "B", members: [F.dmember("ana", .owner), F.dmember("ben", .viewer)]),
        ]), store: store)
        #expect(forged.actions == ["update project.acme-a", "update_member project.acme-a.member.ben@acme.example"])
        #expect(forged.manifestDigest == "sha256:test")
        // The merged manifests rename the project and say nothing of its members; their digest matches the plan's.
        guard case .invalid(let reason) = try await verify(forged, store: store, manifests: manifests(renameToB, store: store)) else {
            Issue.record("a plan doing more than the manifests ask for was accepted")
            return
        }
        #expect(reason.hasPrefix("the manifests at org.yaml do not call for this change of the saved plan: update_member project.acme-a.member.ben@acme.example."), "\(reason)")
        #expect(await store.project(externalID: "acme-a")?.name == "A")
        // A change with the same action and address but other values is not in the new plan either.
        let demoteToViewer = DesiredState(projects: [
            F.dproject("acme-a", name: "A", members: [F.dmember("ana", .owner), F.dmember("ben", .viewer)]),
        ])
        let asksForOwner = DesiredState(projects: [
            F.dproject("acme-a", name: "A", members: [F.dmember("ana", .owner), F.dmember("ben", .owner)]),
        ])
        let other = try await Self.signed(demoteToViewer, store: store)
        guard case .invalid = try await verify(other, store: store, manifests: manifests(asksForOwner, store: store)) else {
            Issue.record("a change with other values was taken for the manifests' one")
            return
        }
    }

    /// Issue 23.10: a plan applied, then undone by a later change of the manifests, is refused when replayed with
    /// `--manifests`, even by a file whose digest is the manifests' own.
    @Test func aReplayedPlanIsRefusedByTheReplan() async throws {
        let store = Self.teamStore()
        let demote = try await Self.signed(DesiredState(projects: [
            F.dproject("acme-a", name: "A", members: [F.dmember("ana", .owner), F.dmember("ben", .viewer)]),
        ]), store: store)
        let report = await apply(plan: demote, client: FakeCogram(store: store), parallelism: 1)
        #expect(report.succeeded)
        // Undone by a later change: the manifests now keep ben an editor, and Cogram has him as one again.
        await store.setMembers("prj_1", [F.member("ana", .owner), F.member("ben", .editor)])
        let later = DesiredState(projects: [
            F.dproject("acme-a", name: "A", members: [F.dmember("ana", .owner), F.dmember("ben", .editor)]),
        ])
        guard case .invalid(let reason) = try await verify(demote, store: store, manifests: manifests(later, store: store)) else {
            Issue.record("a replayed plan was accepted")
            return
        }
        #expect(reason.contains("update_member project.acme-a.member.ben@acme.example"), "\(reason)")
        // Without --manifests a replay within the plan's validity goes through: memberships carry no timestamp
        // (SECURITY.md says so).
        guard case .ready = try await verify(demote, store: store) else {
            Issue.record("a bare apply PLANFILE of a replay was expected to be ready")
            return
        }
    }

    /// Issue 22: applying a plan again after a partial failure finishes it; the changes Cogram already shows are
    /// done, and a plan whose every change is done has nothing to do.
    @Test func applyingAgainFinishesAPartlyAppliedPlan() async throws {
        let store = Self.teamStore()
        let desired = DesiredState(projects: [
            F.dproject("acme-a", name: "B", members: [F.dmember("ana", .owner), F.dmember("ben", .viewer)]),
        ])
        let plan = try await Self.signed(desired, store: store)
        #expect(plan.changes.count == 2)
        // The rename went through (a new updated_at), the demotion did not.
        await store.editProject("prj_1") {
            $0.name = "B"
            $0.updatedAt = "2026-02-28T11:00:00Z"
        }
        guard case .ready(let remaining, let done) = try await verify(plan, store: store, manifests: manifests(desired, store: store)) else {
            Issue.record("a partly applied plan was not ready to finish")
            return
        }
        #expect(done == 1)
        #expect(remaining.actions == ["update_member project.acme-a.member.ben@acme.example"])
        #expect(await apply(plan: remaining, client: FakeCogram(store: store), parallelism: 1).succeeded)
        guard case .nothingToDo(let all) = try await verify(plan, store: store, manifests: manifests(desired, store: store)) else {
            Issue.record("a plan whose every change is made was not nothing to do")
            return
        }
        #expect(all == 2)
        // Moved elsewhere (neither the recorded nor the planned state): stale, as before.
        await store.editProject("prj_1") { $0.name = "C" }
        guard case .stale = try await verify(plan, store: store) else {
            Issue.record("a project moved elsewhere was not stale")
            return
        }
    }

    /// Issue 22: a create already made counts as done, and its members are added to the project it made.
    @Test func aDoneCreateLendsItsProjectToItsMembers() async throws {
        let store = FakeStore(projects: [], users: F.users)
        let desired = DesiredState(projects: [F.dproject("acme-new", members: [F.dmember("ana", .owner)])])
        let plan = try await Self.signed(desired, store: store)
        #expect(plan.actions == ["create project.acme-new", "add_member project.acme-new.member.ana@acme.example"])
        await store.setProjects([F.project("prj_9", externalID: "acme-new", name: "Project acme-new")])
        await store.setMembers("prj_9", [])
        guard case .ready(let remaining, let done) = try await verify(plan, store: store) else {
            Issue.record("a plan whose create is made was not ready")
            return
        }
        #expect(done == 1)
        #expect(remaining.changes.map(\.target.projectID) == ["prj_9"])
        #expect(await apply(plan: remaining, client: FakeCogram(store: store), parallelism: 1).succeeded)
    }

    /// Issue 23: the members of a project whose create is done are checked against that project: one already there
    /// is done, one not there yet is still to do (and the re-plan, which now sees the project, calls for it), one
    /// with another role is stale.
    @Test func theMembersOfADoneCreateAreCheckedAgainstItsProject() async throws {
        let store = FakeStore(projects: [], users: F.users)
        let desired = DesiredState(projects: [
            F.dproject("acme-new", members: [F.dmember("ana", .owner), F.dmember("ben", .editor)]),
        ])
        let plan = try await Self.signed(desired, store: store)
        let (anaAdd, benAdd) = ("add_member project.acme-new.member.ana@acme.example", "add_member project.acme-new.member.ben@acme.example")
        #expect(Set(plan.actions) == ["create project.acme-new", anaAdd, benAdd])
        await store.setProjects([F.project("prj_9", externalID: "acme-new", name: "Project acme-new")])
        await store.setMembers("prj_9", [F.member("ana", .owner)])
        guard case .ready(let remaining, let done) = try await verify(plan, store: store, manifests: manifests(desired, store: store)) else {
            Issue.record("a plan whose create and one member are made was not ready with its manifests")
            return
        }
        #expect(done == 2)
        #expect(remaining.actions == [benAdd])
        #expect(remaining.changes.map(\.target.projectID) == ["prj_9"])
        #expect(await apply(plan: remaining, client: FakeCogram(store: store), parallelism: 1).succeeded)
        guard case .nothingToDo(let all) = try await verify(plan, store: store, manifests: manifests(desired, store: store)) else {
            Issue.record("a plan whose every change is made was not nothing to do with its manifests")
            return
        }
        #expect(all == 3)
        await store.setMembers("prj_9", [F.member("ana", .owner), F.member("ben", .viewer)])
        guard case .stale(let moved) = try await verify(plan, store: store) else {
            Issue.record("a member of the created project with another role was not stale")
            return
        }
        #expect(moved.filter { !$0.matchesPlan }.map(\.address) == ["project.acme-new.member.ben@acme.example"])
    }
}

@Suite struct UnverifiedPlanTextTests {
    /// Issue 23.2: nothing of a file that is not yet a verified plan is printed raw.
    @Test func nothingOfAnUnverifiedPlanIsPrintedRaw() {
        let hostile = [
            #"{"kind": "x\n::error title=forged::boom", "format_version": "1"}"#,
            #"{"kind": "cogramctl-plan", "format_version": "1\n::error::boom\u001b[31m"}"#,
            #"{"kind": "cogramctl-plan", "format_version": "1", "changes": {"\n::error::boom": 1}}"#,
            #"{"kind": "cogramctl-plan", "format_version": "1", "api_url": "\n::error::boom\u001b]8;;x"}"#,
        ]
        for text in hostile {
            do throws(PlanValidationError) {
                _ = try Plan.load(from: Data(text.utf8))
                Issue.record("a hostile plan loaded: \(text)")
            } catch {
                let message = error.description
                #expect(!ControlCharacters.occur(in: message), "\(message)")
                #expect(!message.contains("forged"), "\(message)")
            }
        }
    }
}

@Suite struct SavedPlanFileTests {
    @Test func tellsAPlanFromManifests() throws {
        let directory = try makeTemporaryDirectory("cogram-saved-plan")
        defer { try? FileManager.default.removeItem(at: directory) }
        func file(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            return url.path
        }
        let (desired, observed) = F.rich()
        let plan = try F.plan(desired, observed).signed(with: key)
        let saved = try file("plan.json", String(decoding: try plan.jsonData(), as: UTF8.self))
        #expect(try SavedPlanFile.load(path: saved) == plan)
        #expect(try SavedPlanFile.load(path: try file("org.yaml", "version: 1\nprojects: []\n")) == nil)
        #expect(try SavedPlanFile.load(path: try file("other.json", #"{"name": "not a plan"}"#)) == nil)
        #expect(try SavedPlanFile.load(path: directory.path) == nil)
        #expect(try SavedPlanFile.load(path: directory.appendingPathComponent("missing.json").path) == nil)
        let damaged = try file("damaged.json", #"{"kind": "cogramctl-plan", "format_version": "1"}"#)
        #expect(throws: SavedPlanFile.Unreadable.self) { try SavedPlanFile.load(path: damaged) }
    }
}

@Suite struct PlanRunTests {
    private func store() -> FakeStore {
        FakeStore(
            projects: [F.project("prj_1", externalID: "acme-a", name: "A"), F.project("prj_2", externalID: "acme-b", name: "B")],
            members: ["prj_1": [F.member("ana", .owner)], "prj_2": [F.member("ana", .owner)]],
            users: F.users)
    }

    private let desired = DesiredState(projects: [
        F.dproject("acme-a", name: "A2", members: [F.dmember("ana", .owner)]),
        F.dproject("acme-b", name: "B2", members: [F.dmember("ana", .owner)]),
    ])

    @Test func aScopeReadsAndPlansOnlyItsProjects() async throws {
        let store = store()
        let scope = ProjectScope(externalIDs: ["acme-b"], description: "changed since main")
        let (plan, observed) = try await readAndPlan(
            desired: desired, client: FakeCogram(store: store), options: F.options(), scope: scope, parallelism: 2)
        #expect(plan.actions == ["update project.acme-b"])
        #expect(plan.warnings.first == scope.notice)
        #expect(Set(observed.members.keys) == ["prj_2"])
        #expect(await store.readLog.filter { $0.hasPrefix("LIST-MEMBERS") } == ["LIST-MEMBERS prj_2"])
    }

    @Test func withoutAScopeTheTargetsOrEverythingArePlanned() async throws {
        let all = try await readAndPlan(desired: desired, client: FakeCogram(store: store()), options: F.options(), scope: nil, parallelism: 2)
        #expect(all.plan.actions.sorted() == ["update project.acme-a", "update project.acme-b"])
        let targeted = try await readAndPlan(
            desired: desired, client: FakeCogram(store: store()), options: F.options { $0.targets = ["acme-a"] }, scope: nil, parallelism: 2)
        #expect(targeted.plan.actions == ["update project.acme-a"])
    }
}
