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
        let manifests = SavedPlanVerification.Manifests(paths: ["org.yaml"]) { "sha256:test" }
        guard case .ready = try await verify(plan, store: store, manifests: manifests) else {
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

        let changed = SavedPlanVerification.Manifests(paths: ["a.yaml", "b.yaml"]) { "sha256:other" }
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
