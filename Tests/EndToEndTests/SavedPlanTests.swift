import CogramAPI
import CogramPlan
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// Saved plans, revised (`spec/cli.md`): the re-plan of `--manifests`, path spellings of the digest, and applying
/// a saved plan again to finish it.
@Suite struct SavedPlanEndToEndTests {
    /// Issue 23.1: whoever holds COGRAM_PLAN_KEY signs a plan that copies the merged manifests' digest and demotes
    /// a user those manifests never mention. `apply PLANFILE --manifests` re-plans them and refuses it.
    @Test func aPlanKeyAloneCannotMakeApplyDoWhatTheManifestsDoNotAsk() async throws {
        let (ana, chloe) = (TestOrganization.email("ana"), TestOrganization.email("chloe"))
        try await stopping(try await TestOrganization.start(projects: [
            .init(name: "A", externalID: "p-a", members: [.init(email: ana, role: .owner), .init(email: chloe, role: .editor)]),
        ])) { org in
            let secret = "plan-key-" + UUID().uuidString
            let planKey = ["COGRAM_PLAN_KEY": secret]
            // The attacker's manifests: rename, and demote chloe.
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a", name: "A2", members: [("ana", "owner"), ("chloe", "viewer")]))
            #expect(try await org.run(["plan", ".", "--out", "forged.json"], environment: planKey).status == 0)
            // The merged manifests: the rename only; p-a's members are not managed.
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a", name: "A2"))
            let honest = try await org.run(["plan", ".", "--out", "honest.json"], environment: planKey)
            #expect(honest.status == 0, "\(honest.stderr)")
            let honestPlan = try Plan.load(from: Data(contentsOf: org.directory.appendingPathComponent("honest.json")))
            var forged = try Plan.load(from: Data(contentsOf: org.directory.appendingPathComponent("forged.json")))
            #expect(forged.changes.map { "\($0.action.rawValue) \($0.address)" }.contains("update_member project.p-a.member.\(chloe)"))
            forged.manifestDigest = honestPlan.manifestDigest
            forged.manifestFiles = honestPlan.manifestFiles
            try forged.signed(with: .fromSecret(secret)).jsonData().write(to: org.directory.appendingPathComponent("forged.json"))

            let refused = try await org.run(["apply", "forged.json", "--manifests", "."], environment: planKey)
            #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")
            #expect(refused.stderr.contains("do not call for this change of the saved plan: update_member project.p-a.member.\(chloe)"), "\(refused.stderr)")
            #expect(try org.members("p-a") == [ana: .owner, chloe: .editor])
            #expect(try org.project("p-a")?.name == "A", "nothing applied")

            let applied = try await org.run(["apply", "honest.json", "--manifests", "."], environment: planKey)
            #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
            #expect(try org.project("p-a")?.name == "A2")
            #expect(try org.members("p-a") == [ana: .owner, chloe: .editor])
        }
    }

    /// Issue 23.9: `plan ./m` then `apply PLAN --manifests m` agree; a refusal names the file that changed.
    @Test func theDigestDoesNotDependOnPathSpelling() async throws {
        try await stopping(try await TestOrganization.start(projects: [.init(name: "A", externalID: "p-a")])) { org in
            let m = org.directory.appendingPathComponent("m")
            try FileManager.default.createDirectory(at: m, withIntermediateDirectories: true)
            try ("version: 1\nprojects:\n" + projectYAML("p-a", name: "A2")).write(to: m.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
            try "version: 1\n".write(to: m.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
            #expect(try await org.run(["plan", "./m", "--out", "plan.json"]).status == 0)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: org.directory.appendingPathComponent("plan.json"))) as? [String: Any])
            let files = try #require(document["manifest_files"] as? [String: String])
            #expect(Set(files.keys) == ["a.yaml", "b.yaml"])

            try "version: 1\n# edited\n".write(to: m.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
            let changed = try await org.run(["apply", "plan.json", "--manifests", "m"])
            #expect(changed.status == 3, "\(changed.stderr)")
            #expect(changed.stderr.contains("(changed, added or gone: b.yaml)"), "\(changed.stderr)")

            try "version: 1\n".write(to: m.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
            let applied = try await org.run(["apply", "plan.json", "--manifests", "m"])
            #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
            #expect(try org.project("p-a")?.name == "A2")
        }
    }

    /// Issue 22: a persistent fault makes the first apply of a saved plan fail part way; served again without
    /// it, applying the same plan again finishes it, and a third time says in one line that all is done.
    @Test func applyingASavedPlanAgainFinishesIt() async throws {
        let ana = TestOrganization.email("ana")
        let run = try await Self.applyAgainAfterAFailure(
            folder: "cogramctl-finish", key: "finish-key",
            projects: [.init(name: "A", externalID: "p-a", members: [.init(email: ana, role: .owner)])],
            manifest: "version: 1\nprojects:\n" + projectYAML("p-a", name: "A2", members: [("ana", "owner"), ("ben", "editor"), ("chloe", "viewer")]))
        #expect(run.plan.status == 0, "\(run.plan.stderr)")
        #expect(run.first.status == 1, "\(run.first.stdout)\(run.first.stderr)")
        #expect(run.first.stdout.contains("Apply complete: 2 done, 0 reconciled, 1 failed, 0 skipped."), "\(run.first.stdout)")
        #expect(run.healthyURL == run.faultyURL)
        #expect(run.again.status == 0, "\(run.again.stdout)\(run.again.stderr)")
        #expect(run.again.stdout.contains("2 changes of this plan already made in Cogram (counted as done); applying the other 1."), "\(run.again.stdout)")
        #expect(run.again.stdout.contains("Apply complete: 1 done, 0 reconciled, 0 failed, 0 skipped."), "\(run.again.stdout)")
        #expect(run.third.status == 0, "\(run.third.stdout)\(run.third.stderr)")
        #expect(run.third.stdout == "Nothing to do: all 3 changes of this plan are already made in Cogram.\n", "\(run.third.stdout)")
        #expect(run.next.status == 0, "\(run.next.stdout)\(run.next.stderr)")
        #expect(run.next.stdout.contains("No changes. Cogram matches the manifests."), "\(run.next.stdout)")
    }

    /// Issue 23: the first apply of a saved plan creates a project and fails on one of its members; applying it
    /// again with `--manifests` resolves the members against the project the create made (those already there are
    /// done, the one that failed is still to do and called for by the new plan on the existing project), finishes
    /// it, and a third time says in one line that all is done.
    @Test func applyingAgainWithManifestsFinishesAPlanWhoseCreateIsDone() async throws {
        let run = try await Self.applyAgainAfterAFailure(
            folder: "cogramctl-finish-create", key: "finish-create-key", projects: [],
            manifest: "version: 1\nprojects:\n" + projectYAML("p-new", name: "New", members: [("ana", "owner"), ("ben", "editor"), ("chloe", "viewer")]))
        #expect(run.plan.status == 0, "\(run.plan.stderr)")
        #expect(run.first.status == 1, "\(run.first.stdout)\(run.first.stderr)")
        #expect(run.first.stdout.contains("Apply complete: 3 done, 0 reconciled, 1 failed, 0 skipped."), "\(run.first.stdout)")
        #expect(run.healthyURL == run.faultyURL)
        #expect(run.again.status == 0, "\(run.again.stdout)\(run.again.stderr)")
        #expect(run.again.stdout.contains("3 changes of this plan already made in Cogram (counted as done); applying the other 1."), "\(run.again.stdout)")
        #expect(run.again.stdout.contains("Apply complete: 1 done, 0 reconciled, 0 failed, 0 skipped."), "\(run.again.stdout)")
        #expect(run.third.status == 0, "\(run.third.stdout)\(run.third.stderr)")
        #expect(run.third.stdout == "Nothing to do: all 4 changes of this plan are already made in Cogram.\n", "\(run.third.stdout)")
        #expect(run.next.status == 0, "\(run.next.stdout)\(run.next.stderr)")
        #expect(run.next.stdout.contains("No changes. Cogram matches the manifests."), "\(run.next.stdout)")
    }

    /// What the commands of a resumed saved plan printed, and the URLs of the two servers.
    struct ResumedRun {
        var plan, first, again, third, next: Binary.Result
        var faultyURL, healthyURL: String
    }

    /// Northwind Build (`ServedSandbox.seedNorthwind`) with `projects` and `manifest`, served with every PUT of ben's
    /// membership failing: `plan --out` and a first apply of that plan. Then the same database on the same port
    /// (the plan names the API by its URL) without the fault: the plan applied again twice with `--manifests`, and a
    /// fresh `plan --detailed-exitcode`.
    static func applyAgainAfterAFailure(
        folder name: String, key keyPrefix: String, projects: [SandboxSeed.Project], manifest: String
    ) async throws -> ResumedRun {
        let folder = try makeTemporaryDirectory(name)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (database, _, benID) = try ServedSandbox.seedNorthwind(projects: projects, manifest: manifest, in: folder)
        let key = keyPrefix + "-" + UUID().uuidString

        let faulty = try await ServedSandbox.start(
            database: database, key: key, arguments: ["--fault-fail", "PUT /v1/projects/*/members/\(benID)=503"], in: folder)
        let plan = try await Binary.run(["plan", ".", "--out", "plan.json"], environment: faulty.environment, in: folder)
        let first = try await Binary.run(["apply", "plan.json", "--max-retries", "1"], environment: faulty.environment, in: folder)
        await faulty.stop()

        let port = try #require(faulty.url.split(separator: ":").last.map(String.init))
        let healthy = try await ServedSandbox.start(database: database, key: key, arguments: ["--port", port], in: folder)
        let again = try await Binary.run(["apply", "plan.json", "--manifests", "."], environment: healthy.environment, in: folder)
        let third = try await Binary.run(["apply", "plan.json", "--manifests", "."], environment: healthy.environment, in: folder)
        let next = try await Binary.run(["plan", ".", "--detailed-exitcode"], environment: healthy.environment, in: folder)
        await healthy.stop()
        return ResumedRun(plan: plan, first: first, again: again, third: third, next: next, faultyURL: faulty.url, healthyURL: healthy.url)
    }

    /// Issue 23: a plan that creates a project with members, applied in full, then applied again with
    /// `--manifests`: every change is already done (the members resolved against the project the create made), so
    /// it exits 0 with one line.
    @Test func aFullyAppliedPlanThatCreatesAProjectIsNothingToDoWithManifests() async throws {
        try await stopping(try await TestOrganization.start(projects: [])) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-new", name: "New", members: [("ana", "owner"), ("chloe", "viewer")]))
            let plan = try await org.run(["plan", ".", "--out", "plan.json"])
            #expect(plan.status == 0, "\(plan.stderr)")
            let first = try await org.run(["apply", "plan.json", "--manifests", "."])
            #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
            #expect(try org.members("p-new") == [TestOrganization.email("ana"): .owner, TestOrganization.email("chloe"): .viewer])
            let again = try await org.run(["apply", "plan.json", "--manifests", "."])
            #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
            #expect(again.stdout == "Nothing to do: all 3 changes of this plan are already made in Cogram.\n", "\(again.stdout)")
        }
    }
}
