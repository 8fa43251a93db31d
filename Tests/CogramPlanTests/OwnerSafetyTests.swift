import CogramTestSupport
import CogramAPI
import CogramManifest
@testable import CogramPlan
import Foundation
import Testing

/// Owner hand-overs, recorded cap overrides, stale-plan messages, targets and archive reasons.
@Suite struct OwnerSafetyTests {
    private func planAgainst(_ store: FakeStore, _ desired: DesiredState, _ configure: (inout PlanOptions) -> Void = { _ in }) async throws -> Plan {
        let observed = try await readObservedState(desired: desired, client: FakeCogram(store: store), parallelism: 2)
        let plan = F.plan(desired, observed, configure)
        #expect(plan.errors.isEmpty, "\(plan.errors)")
        return plan
    }

    private func handOver() -> (FakeStore, DesiredState) {
        let store = FakeStore(
            projects: [F.project("prj_1", externalID: "acme-a", name: "A")],
            members: ["prj_1": [F.member("ana", .owner), F.member("cat", .viewer)]], users: F.users)
        // ben becomes the owner, ana leaves.
        let desired = DesiredState(projects: [
            F.dproject("acme-a", name: "A", members: [F.dmember("ben", .owner), F.dmember("cat", .viewer)]),
        ])
        return (store, desired)
    }

    @Test func aFailedPromotionKeepsTheOldOwner() async throws {
        let (store, desired) = handOver()
        let plan = try await planAgainst(store, desired)
        #expect(plan.actions == ["add_member project.acme-a.member.ben@acme.example", "remove_member project.acme-a.member.ana@acme.example"])
        await store.inject("PUT prj_1 usr_ben", status: 503, persistent: true)
        let report = await apply(plan: plan, client: FakeCogram(store: store))
        let outcomes = Dictionary(uniqueKeysWithValues: report.results.map { ($0.address, $0.outcome) })
        guard case .skipped(let reason) = outcomes["project.acme-a.member.ana@acme.example"] else {
            Issue.record("the removal should be skipped, got \(String(describing: outcomes["project.acme-a.member.ana@acme.example"]))")
            return
        }
        #expect(reason.contains("project.acme-a.member.ben@acme.example did not succeed"))
        #expect(await store.members["prj_1"]?.first { $0.userID == "usr_ana" }?.role == .owner)
        #expect(!(await store.writeLog.contains("DELETE prj_1 usr_ana")))
    }

    @Test func anOwnerDowngradeWaitsForThePromotion() async throws {
        let (store, _) = handOver()
        let desired = DesiredState(projects: [
            F.dproject("acme-a", name: "A", members: [F.dmember("ana", .viewer), F.dmember("cat", .owner)]),
        ])
        let plan = try await planAgainst(store, desired)
        #expect(plan.actions.sorted() == [
            "update_member project.acme-a.member.ana@acme.example", "update_member project.acme-a.member.cat@acme.example",
        ])
        // The downgrade runs after the promotion (one phase later), whatever the order in the plan.
        let report = await apply(plan: plan, client: FakeCogram(store: store), parallelism: 8)
        #expect(report.succeeded)
        #expect(await store.writeLog == ["PUT prj_1 usr_cat", "PUT prj_1 usr_ana"])

        let (again, _) = handOver()
        let retry = try await planAgainst(again, desired)
        await again.inject("PUT prj_1 usr_cat", status: 500, persistent: true)
        let failed = await apply(plan: retry, client: FakeCogram(store: again))
        #expect(failed.results.contains { $0.address.hasSuffix("ana@acme.example") && !$0.outcome.isSuccess })
        #expect(await again.members["prj_1"]?.first { $0.userID == "usr_ana" }?.role == .owner)
    }

    @Test func theLiveMembershipStopsRemovingTheLastOwner() async throws {
        // The plan only removes ana: when it was made, ben was an owner too. Since then ben left, so Cogram now
        // shows ana as the last owner.
        let store = FakeStore(
            projects: [F.project("prj_1", externalID: "acme-a", name: "A")],
            members: ["prj_1": [F.member("ana", .owner), F.member("cat", .viewer)]], users: F.users)
        let removal = Change(
            .removeMember(from: .known(.owner)), address: .member("acme-a", email: "ana@acme.example"),
            precondition: .member(role: .known(.owner)),
            target: ChangeTarget(projectID: "prj_1", projectExternalID: "acme-a", userID: "usr_ana", email: "ana@acme.example"))
        let onlyRemoval = Plan(
            toolVersion: "0.1.0", createdAt: "2026-02-28T12:00:00Z", expiresAt: "2026-03-01T12:00:00Z",
            apiURL: "https://api.cogram.com", manifestDigest: "sha256:test", changes: [removal])
        let report = await apply(plan: onlyRemoval, client: FakeCogram(store: store))
        guard case .skipped(let reason) = report.results[0].outcome else {
            Issue.record("expected skipped, got \(report.results[0].outcome)")
            return
        }
        #expect(reason.contains("last owner of project.acme-a"))
        #expect(await store.writeLog.isEmpty)

        // With --allow-no-owner recorded in the plan, the removal goes ahead.
        var allowed = onlyRemoval
        allowed.safetyOverrides.allowNoOwner = true
        #expect(await apply(plan: allowed, client: FakeCogram(store: store)).succeeded)
        #expect(await store.writeLog == ["DELETE prj_1 usr_ana"])
    }

    @Test func removingEveryoneIsNotBlockedByTheOwnerCheck() async throws {
        let (store, _) = handOver()
        let plan = try await planAgainst(store, DesiredState(projects: [F.dproject("acme-a", name: "A", members: [])]))
        #expect(plan.summary.removeMember == 2)
        let report = await apply(plan: plan, client: FakeCogram(store: store), parallelism: 2)
        #expect(report.succeeded, "\(report.results)")
        #expect(await store.members["prj_1"]?.isEmpty == true)
    }

    // MARK: Caps recorded in the plan

    @Test func capOverridesAreRecordedAndHonouredFromTheSavedPlan() throws {
        let (desired, observed) = F.rich()
        var many = desired
        many.projects.removeAll { ["acme-a", "acme-b", "acme-c"].contains($0.externalID) }
        let refused = F.plan(many, observed)
        #expect(refused.safetyViolations.map(\.kind) == [.massArchive])
        let approved = F.plan(many, observed) { $0.allowMassArchive = true }
        #expect(approved.safetyViolations.isEmpty)
        #expect(approved.safetyOverrides == SafetyOverrides(allowMassArchive: true))
        let saved = try Plan.load(from: try approved.jsonData())
        #expect(saved.safetyOverrides.allowMassArchive)
        // apply PLANFILE without the flag: the recorded override counts.
        #expect(safetyViolations(plan: saved, options: F.options()).isEmpty)
        #expect(safetyViolations(plan: try Plan.load(from: refused.jsonData()), options: F.options()).map(\.kind) == [.massArchive])
        // Live counts lower than the file's make a cap stricter, never looser.
        var inflated = try Plan.load(from: refused.jsonData())
        inflated.inventory.managedActiveProjects = 1000
        #expect(safetyViolations(plan: inflated, options: F.options(), inventory: refused.inventory).map(\.kind) == [.massArchive])
    }

    @Test func liveInventoryIgnoresInflatedCounts() async throws {
        let projects = (0..<8).map { F.project("prj_\($0)", externalID: "acme-\($0)") }
        let store = FakeStore(projects: projects, users: F.users)
        let desired = DesiredState(projects: projects.prefix(4).map { F.dproject($0.externalID!, name: $0.name) })
        let plan = try await planAgainst(store, desired) { $0.maxArchive = 4 }
        #expect(plan.summary.archive == 4 && plan.inventory.managedActiveProjects == 8)
        var forged = plan
        forged.inventory.managedActiveProjects = 4000
        forged.safetyOverrides = SafetyOverrides()
        let live = try await liveInventory(plan: forged, client: FakeCogram(store: store))
        #expect(live.managedActiveProjects == 8)
        #expect(safetyViolations(plan: forged, options: F.options(), inventory: live).map(\.kind) == [.massArchive])
    }

    // MARK: Stale plans

    @Test func stalePlansNameTheFieldsThatDiffer() async throws {
        let (store, desired) = handOver()
        var renamed = desired
        renamed.projects[0].name = "New"
        let plan = try await planAgainst(store, renamed)
        _ = try await store.updateProject(id: "prj_1", ProjectPatch(name: "Changed in the app"))
        let failures = try await checkPreconditions(plan: plan, client: FakeCogram(store: store))
        let project = try #require(failures.first { $0.address == "project.acme-a" })
        #expect(project.fields == ["name"])
        #expect(!project.matchesPlan)
        let text = renderStale(failures)
        #expect(text.hasPrefix("error: the saved plan is stale: 1 object changed in Cogram since it was made:\n"))
        #expect(text.contains("  - project.acme-a: name changed; the plan expected"))
    }

    @Test func aPlanAppliedAlreadySaysSo() async throws {
        let (store, desired) = handOver()
        var renamed = desired
        renamed.projects[0].name = "New"
        let plan = try await planAgainst(store, renamed)
        #expect(await apply(plan: plan, client: FakeCogram(store: store)).succeeded)
        let failures = try await checkPreconditions(plan: plan, client: FakeCogram(store: store))
        #expect(failures.count == plan.changes.count)
        #expect(failures.allSatisfy { $0.matchesPlan }, "\(failures)")
        #expect(renderStale(failures).hasPrefix("error: this plan appears to be applied already"))
    }

    // MARK: Targets and archives

    @Test func targetsTakeAddressesAndAnUnknownTargetIsAnErrorWithASuggestion() {
        let (desired, observed) = F.rich()
        let byAddress = F.plan(desired, observed) { $0.targets = ["project.acme-depot"] }
        #expect(byAddress.errors.isEmpty)
        #expect(byAddress.actions == ["update project.acme-depot"])
        #expect(byAddress.targets == ["acme-depot"])
        let typo = F.plan(desired, observed) { $0.targets = ["acme-dpot"] }
        #expect(typo.errors.map(\.message) == ["--target acme-dpot matches no project in the manifests or in Cogram; did you mean project.acme-depot?"])
        let human = renderHuman(byAddress, color: false)
        #expect(human.split(separator: "\n", omittingEmptySubsequences: false)[3].hasPrefix("Targeted plan (--target): only project.acme-depot."))
        let json = try? JSONSerialization.jsonObject(with: byAddress.jsonData()) as? [String: Any]
        #expect((json?["scope"] as? [String: Any])?["kind"] as? String == "targeted")
        let full = try? JSONSerialization.jsonObject(with: F.plan(desired, observed).jsonData()) as? [String: Any]
        #expect((full?["scope"] as? [String: Any])?["kind"] as? String == "full")
    }

    @Test func archivesSayWhatAndWhy() {
        let (desired, observed) = F.rich()
        var withFlag = desired
        withFlag.projects.append(F.dproject("acme-a", name: "Project prj_6", archived: true, line: 60))
        withFlag.projects.removeAll { $0.externalID == "acme-a" && !$0.archived }
        let plan = F.plan(withFlag, observed) { $0.allowMassArchive = true }
        let human = renderHuman(plan, color: false)
        #expect(human.contains(#"# project.acme-old-site ("Old Site") will be ARCHIVED: listed in no manifest"#))
        #expect(human.contains(#"# project.acme-a ("Project prj_6") will be ARCHIVED: archived: true"#))
        #expect(renderMarkdown(plan).contains(#"project.acme-old-site ("Old Site") will be ARCHIVED: listed in no manifest"#))
    }
}
