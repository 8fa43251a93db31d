@testable import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Synchronization
import Testing

/// Reads the fake, plans against it, and returns what apply needs.
private func planAgainst(_ store: FakeStore, _ desired: DesiredState) async throws -> Plan {
    let client = FakeCogram(store: store)
    let observed = try await readObservedState(desired: desired, client: client, parallelism: 4)
    let plan = F.plan(desired, observed)
    #expect(plan.errors.isEmpty)
    return plan
}

private func richStore() -> (FakeStore, DesiredState) {
    let (desired, observed) = F.rich()
    return (FakeStore(projects: observed.projects, members: observed.members, users: observed.users), desired)
}

/// Collects progress events from concurrent tasks.
private final class Events: Sendable {
    private let events = Mutex<[ProgressEvent]>([])
    func append(_ e: ProgressEvent) { events.withLock { $0.append(e) } }
    var all: [ProgressEvent] { events.withLock { $0 } }
}

@Suite struct ApplierTests {
    @Test func appliesEverythingInPhaseOrderAndConverges() async throws {
        let (store, desired) = richStore()
        let plan = try await planAgainst(store, desired)
        let events = Events()
        let report = await apply(plan: plan, client: FakeCogram(store: store), parallelism: 3) { events.append($0) }
        #expect(report.succeeded)
        #expect(report.done == plan.changes.count)
        #expect(report.writes == plan.changes.count)
        #expect(events.all.count == plan.changes.count)
        #expect(events.all.map(\.completed).sorted() == Array(1...plan.changes.count))
        #expect(events.all.allSatisfy { $0.total == plan.changes.count })

        // Phases: project writes, member puts, user patches, member deletes, archives.
        let log = await store.writeLog
        func phase(_ entry: String) -> Int {
            if entry.hasPrefix("POST") || (entry.hasPrefix("PATCH prj_")) { return 0 }
            if entry.hasPrefix("PUT") { return 1 }
            if entry.hasPrefix("PATCH usr_") { return 2 }
            if entry.hasPrefix("DELETE"), entry.split(separator: " ").count == 3 { return 3 }
            return 4
        }
        #expect(log.map(phase) == log.map(phase).sorted())
        #expect(Set(log.map(phase)) == [0, 1, 2, 3, 4])

        // A second plan finds nothing to do.
        let again = try await planAgainst(store, desired)
        #expect(again.changes.isEmpty, "\(again.actions)")
    }

    @Test func createAnswered409IsReconciledAndItsMembersContinue() async throws {
        let store = FakeStore(users: F.users)
        let desired = DesiredState(projects: [
            F.dproject("acme-x", name: "X", description: .value("d"), members: [F.dmember("ana", .owner), F.dmember("ben", .viewer)]),
        ])
        let plan = try await planAgainst(store, desired)
        // An earlier attempt whose answer was lost left an archived project with another name behind.
        await store.setProjects([F.project("prj_lost", externalID: "acme-x", name: "Old name", status: .archived)])
        let report = await apply(plan: plan, client: FakeCogram(store: store))
        #expect(report.results.map(\.outcome) == [.reconciled("reconciled after conflict"), .done, .done])
        #expect(report.succeeded)
        let project = try #require(await store.project(externalID: "acme-x"))
        #expect(project.id == "prj_lost" && project.status == .active && project.name == "X" && project.description == "d")
        #expect(await store.members["prj_lost"]?.map(\.userID).sorted() == ["usr_ana", "usr_ben"])
        #expect(report.writes == 4)  // POST (409), PATCH (restore + name), two PUTs
    }

    @Test func createFailingAfterTheFactIsReconciled() async throws {
        let store = FakeStore(users: F.users)
        let desired = DesiredState(projects: [F.dproject("acme-x", name: "X", members: [F.dmember("ana", .owner)])])
        let plan = try await planAgainst(store, desired)
        await store.inject("POST acme-x", status: 500, afterChange: true)
        let report = await apply(plan: plan, client: FakeCogram(store: store))
        guard case .reconciled(let note) = report.results[0].outcome else {
            Issue.record("expected reconciled, got \(report.results[0].outcome)")
            return
        }
        #expect(note.hasPrefix("reconciled after error: "))
        #expect(report.results[1].outcome == .done)
        #expect(await store.projects.count == 1)
    }

    @Test func failedCreateSkipsItsMembersButNotIndependentChanges() async throws {
        let store = FakeStore(projects: [F.project("prj_1", externalID: "acme-y", name: "Old")], users: F.users)
        let desired = DesiredState(projects: [
            F.dproject("acme-x", name: "X", members: [F.dmember("ana", .owner)]),
            F.dproject("acme-y", name: "New"),
        ])
        let plan = try await planAgainst(store, desired)
        await store.inject("POST acme-x", status: 422)
        let report = await apply(plan: plan, client: FakeCogram(store: store))
        let outcomes = Dictionary(uniqueKeysWithValues: report.results.map { ($0.address, $0.outcome) })
        guard case .failed(let message) = outcomes["project.acme-x"] else {
            Issue.record("create should fail")
            return
        }
        #expect(message.contains("injected fault"))
        #expect(outcomes["project.acme-x.member.ana@acme.example"] == .skipped("project.acme-x was not created"))
        #expect(outcomes["project.acme-y"] == .done)
        #expect(report.failed == 1 && report.skipped == 1 && report.done == 1 && !report.succeeded)
        #expect(await store.writeLog.filter { $0.hasPrefix("PUT") }.isEmpty)
        #expect(renderReport(report, color: false).hasSuffix("Apply complete: 1 done, 0 reconciled, 1 failed, 1 skipped.\n"))
    }

    @Test func aCreateCutOffByTheDeadlineIsNotReadBackNorSaidToHaveFailedCleanly() async throws {
        let store = FakeStore(users: F.users)
        let desired = DesiredState(projects: [F.dproject("acme-x", name: "X", members: [F.dmember("ana", .owner)])])
        let plan = try await planAgainst(store, desired)
        let reads = await store.readLog.count
        // The POST reached the server and was made, but the deadline cut the wait for its answer.
        let cutOff = CogramAPIError.timeout(.init(method: "POST", url: "https://api.cogram.com/v1/projects", phase: .deadline, seconds: 0, attempts: 1))
        await store.inject("POST acme-x", error: cutOff, afterChange: true)
        let report = await apply(plan: plan, client: FakeCogram(store: store))
        #expect(report.results[0].outcome == .failed(cutOff.description))
        #expect(cutOff.description.contains("Cogram may or may not have made this change (the next plan shows which)"))
        #expect(report.results[1].outcome == .skipped("project.acme-x may not have been created"))
        let readLog = await store.readLog
        #expect(readLog.count == reads, "after the deadline nothing is read back: \(readLog)")
        #expect(await store.projects.count == 1)
    }

    @Test func aFailedReadBackKeepsTheCreatesOwnError() async throws {
        let store = FakeStore(users: F.users)
        let desired = DesiredState(projects: [F.dproject("acme-x", name: "X")])
        let plan = try await planAgainst(store, desired)
        await store.inject("POST acme-x", status: 500)
        await store.inject("LIST-PROJECTS", status: 404)
        let report = await apply(plan: plan, client: FakeCogram(store: store))
        guard case .failed(let message) = report.results[0].outcome else {
            Issue.record("the create should fail, got \(report.results[0].outcome)")
            return
        }
        let parts = message.components(separatedBy: "; reading the project back failed too: ")
        #expect(parts.count == 2, "\(message)")
        #expect(parts.first?.contains("HTTP 500") == true && parts.last?.contains("HTTP 404") == true, "\(message)")
    }

    @Test func aStopFlagPastItsDeadlineStartsNothing() async throws {
        #expect(!StopFlag(deadline: .now + .seconds(3600)).isStopped)
        let (store, desired) = richStore()
        let plan = try await planAgainst(store, desired)
        // Nobody calls stop(): the deadline alone stops the flag.
        let report = await apply(plan: plan, client: FakeCogram(store: store), stop: StopFlag(deadline: .now))
        #expect(report.interrupted)
        #expect(report.results.allSatisfy { $0.outcome == .skipped("interrupted") })
        #expect(await store.writeLog.isEmpty)
    }

    @Test func memberDeleteAnswered404CountsAsDoneAndArchiveOfArchivedIsDone() async throws {
        let (store, desired) = richStore()
        let plan = try await planAgainst(store, desired)
        // Meanwhile, someone removed the member and archived the project we are about to archive.
        await store.setMembers("prj_1", [F.member("ana", .owner), F.member("ben", .viewer)])
        _ = try await store.archiveProject(id: "prj_4")
        let report = await apply(plan: plan, client: FakeCogram(store: store))
        let outcomes = Dictionary(uniqueKeysWithValues: report.results.map { ($0.address, $0.outcome) })
        #expect(outcomes["project.acme-bridge.member.cat@acme.example"] == .reconciled("already not a member"))
        #expect(outcomes["project.acme-old-site"] == .done)
        #expect(report.succeeded)
    }

    @Test func independentFailuresDoNotStopTheRest() async throws {
        let (store, desired) = richStore()
        let plan = try await planAgainst(store, desired)
        await store.inject("PATCH usr_ben", status: 500)
        await store.inject("PATCH prj_1", status: 409)
        let report = await apply(plan: plan, client: FakeCogram(store: store))
        #expect(report.failed == 2)
        #expect(report.done == plan.changes.count - 2)
        let failed = report.results.filter { if case .failed = $0.outcome { true } else { false } }.map(\.address)
        #expect(failed == ["project.acme-bridge", "user.ben@acme.example"])
    }

    @Test func stopFlagSkipsWhatHasNotStarted() async throws {
        let (store, desired) = richStore()
        let plan = try await planAgainst(store, desired)
        let stop = StopFlag()
        let report = await apply(plan: plan, client: FakeCogram(store: store), parallelism: 1, stop: stop) { event in
            if event.completed == 2 { stop.stop() }
        }
        #expect(report.interrupted)
        #expect(report.done == 2)
        #expect(report.skipped == plan.changes.count - 2)
        #expect(report.results.allSatisfy { $0.outcome == .done || $0.outcome == .skipped("interrupted") })
        #expect(await store.writeLog.count == 2)
        #expect(renderReport(report, color: false).contains("Apply interrupted: 2 done, 0 reconciled, 0 failed, \(plan.changes.count - 2) skipped."))
    }

    @Test func changesSkippedByAStopAreNotCountedAsFinished() async throws {
        let (store, desired) = richStore()
        let plan = try await planAgainst(store, desired)
        #expect(plan.changes.count > 3)
        let stop = StopFlag()
        let events = Events()
        let report = await apply(plan: plan, client: FakeCogram(store: store), parallelism: 1, stop: stop) { event in
            events.append(event)
            if event.completed == 2 { stop.stop() }
        }
        #expect(report.skipped == plan.changes.count - 2)
        #expect(events.all.map(\.completed) == [1, 2])
        #expect(events.all.allSatisfy { $0.total == plan.changes.count })
    }

    @Test func preconditionsHoldRightAfterPlanningAndDetectMovedState() async throws {
        let (store, desired) = richStore()
        let plan = try await planAgainst(store, desired)
        let client = FakeCogram(store: store)
        #expect(try await checkPreconditions(plan: plan, client: client).isEmpty)

        _ = try await store.updateProject(id: "prj_1", ProjectPatch(name: "Renamed in the app"))
        _ = try await store.createProject(ProjectCreate(name: "Sneaky", externalID: "acme-new"))
        _ = try await store.putMember(projectID: "prj_1", userID: "usr_ben", role: .owner)
        _ = try await store.updateUser(id: "usr_ben", UserPatch(role: .guest))
        let failures = try await checkPreconditions(plan: plan, client: client)
        #expect(failures.map(\.address) == [
            "project.acme-bridge", "project.acme-bridge.member.ben@acme.example", "project.acme-new", "user.ben@acme.example",
        ])
        #expect(failures[1].expected == "member with role viewer" && failures[1].found == "member with role owner")
        #expect(failures[2].found.hasPrefix("project prj_n"))
        #expect(failures[3].description == #"user.ben@acme.example: role changed; the plan expected role member, external_id null, Cogram now has role guest, external_id null"#)
        #expect(failures[0].fields == ["name"] && failures[2].fields == ["project"])
    }

    @Test func preconditionsPickTheCheaperReads() async throws {
        // Few touched projects in a large organization: one GET each, not a full list.
        let many = (0..<250).map { F.project("prj_\($0)", externalID: "acme-\($0)", name: "P\($0)") }
        let store = FakeStore(projects: many, users: F.users)
        var desired = DesiredState(projects: many.map { F.dproject($0.externalID!, name: $0.name) })
        desired.projects[0].name = "Renamed"
        let plan = try await planAgainst(store, desired)
        let before = await store.count.reads
        _ = try await checkPreconditions(plan: plan, client: FakeCogram(store: store))
        #expect(await store.count.reads - before == 1)
        #expect(await store.writeLog.isEmpty)

        // Many touched projects: one full list (3 pages of 100) is cheaper than 250 GETs.
        var renamed = desired
        for i in renamed.projects.indices { renamed.projects[i].name += "!" }
        let big = try await planAgainst(store, renamed)
        #expect(big.summary.update == 250)
        let start = await store.count.reads
        #expect(try await checkPreconditions(plan: big, client: FakeCogram(store: store)).isEmpty)
        #expect(await store.count.reads - start == 1)  // the fake lists in one call; the real client pages
    }

    @Test func readObservedStateReadsOnlyManagedMemberships() async throws {
        let store = FakeStore(
            projects: [
                F.project("prj_1", externalID: "acme-a"), F.project("prj_2", externalID: "acme-b"),
                F.project("prj_3", externalID: "acme-c", status: .archived), F.project("prj_4", externalID: nil),
            ],
            members: ["prj_1": [F.member("ana", .owner)]], users: F.users)
        let desired = DesiredState(projects: [
            F.dproject("acme-a", members: []),  // managed membership
            F.dproject("acme-b"),  // membership not managed
            F.dproject("acme-c", members: []),  // archived in Cogram, restored by the plan: read
            F.dproject("acme-z", id: "prj_4", members: []),  // adopted: read
            F.dproject("acme-new", members: []),  // created: nothing to read
        ])
        let observed = try await readObservedState(desired: desired, client: FakeCogram(store: store), parallelism: 2)
        #expect(observed.members.keys.sorted() == ["prj_1", "prj_3", "prj_4"])
        #expect(observed.projects.count == 4 && observed.users.count == F.users.count)
        let targeted = try await readObservedState(desired: desired, client: FakeCogram(store: store), targets: ["acme-c"], parallelism: 2)
        #expect(targeted.members.keys.sorted() == ["prj_3"])
    }
}
