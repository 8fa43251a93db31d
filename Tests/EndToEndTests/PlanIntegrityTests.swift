import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// Saved plans end to end: owner hand-over under a persistent fault, caps recorded in the plan, stale and applied
/// plans, targets, signatures, and manifests that changed since the plan.
@Suite struct PlanIntegrityEndToEndTests {
    private func editPlan(_ org: TestOrganization, _ name: String = "plan.json", _ edit: (inout [String: Any]) -> Void) throws {
        let url = org.directory.appendingPathComponent(name)
        var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&document)
        try JSONSerialization.data(withJSONObject: document).write(to: url)
    }

    @Test func aFailedPromotionKeepsTheOldOwner() async throws {
        try await stopping(try await TestOrganization.start(projects: [
            .init(name: "A", externalID: "p-a", members: [
                .init(email: TestOrganization.email("ana"), role: .owner), .init(email: TestOrganization.email("chloe"), role: .viewer),
            ]),
        ])) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a", name: "A", members: [("ben", "owner"), ("chloe", "viewer")]))
            let plan = try await org.run(["plan", ".", "--out", "plan.json"])
            #expect(plan.status == 0, "\(plan.stderr)")
            // ben is deactivated before apply: every PUT of ben is refused, however often it is retried.
            try org.sandbox.store.seed(SandboxSeed(
                organization: "Northwind Build",
                users: [.init(email: TestOrganization.email("ben"), name: "Ben Okafor", role: .member, status: .deactivated)]))
            let apply = try await org.run(["apply", "plan.json"])
            #expect(apply.status == 1, "\(apply.stdout)\(apply.stderr)")
            #expect(apply.stdout.contains("skipped     remove_member project.p-a.member.ana@northwind-build.example"), "\(apply.stdout)")
            #expect(apply.stdout.contains("did not succeed"))
            #expect(try org.members("p-a") == [TestOrganization.email("ana"): .owner, TestOrganization.email("chloe"): .viewer])
        }
    }

    @Test func aPromotionThatAlwaysFailsKeepsTheOldOwnerUntilItSucceeds() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-handover")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (ana, ben, chloe) = (TestOrganization.email("ana"), TestOrganization.email("ben"), TestOrganization.email("chloe"))
        let (database, organization, benID) = try ServedSandbox.seedNorthwind(
            projects: [.init(name: "A", externalID: "p-a", members: [.init(email: ana, role: .owner), .init(email: chloe, role: .viewer)])],
            manifest: "version: 1\nprojects:\n" + projectYAML("p-a", name: "A", members: [("ben", "owner"), ("chloe", "viewer")]),
            in: folder)
        let key = "handover-key-" + UUID().uuidString
        // `email → role` of p-a's members, read with the server stopped.
        func members() throws -> [String: ProjectRole] {
            let store = try SandboxStore(path: database)
            defer { try? store.close() }
            let project = try #require(try store.allProjects(organization: organization).first { $0.externalID == "p-a" })
            var roles: [String: ProjectRole] = [:]
            for member in try store.members(organization: organization, projectID: project.id) { roles[member.email] = member.role.known }
            return roles
        }

        // Every PUT of ben's membership is answered 503, however often it is retried; nothing else fails.
        let faulty = try await ServedSandbox.start(
            database: database, key: key, arguments: ["--fault-fail", "PUT /v1/projects/*/members/\(benID)=503"], in: folder)
        #expect(faulty.server.stderr.contains("faults: on"), "\(faulty.server.stderr)")
        let apply = try await Binary.run(["apply", ".", "--auto-approve", "--max-retries", "1"], environment: faulty.environment, in: folder)
        await faulty.stop()
        #expect(apply.status == 1, "\(apply.stdout)\(apply.stderr)")
        let lines = apply.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let promotion = try #require(lines.first { $0.hasPrefix("FAILED      add_member project.p-a.member.\(ben)") }, "\(apply.stdout)")
        #expect(promotion.contains("HTTP 503 unavailable") && promotion.contains("after 2 attempts"), "\(promotion)")
        let removal = try #require(lines.first { $0.hasPrefix("skipped     remove_member project.p-a.member.\(ana)") }, "\(apply.stdout)")
        #expect(removal.contains("(not run because project.p-a.member.\(ben) did not succeed; a project's removals and owner downgrades wait for its additions"), "\(removal)")
        #expect(apply.stdout.contains("Apply complete: 0 done, 0 reconciled, 1 failed, 1 skipped."), "\(apply.stdout)")
        #expect(apply.stderr.contains("Some changes failed"), "\(apply.stderr)")
        #expect(try members() == [ana: .owner, chloe: .viewer], "the old owner stays until the new one is in place")

        // The same database served without the fault: the hand-over completes, and nothing is left to do.
        let healthy = try await ServedSandbox.start(database: database, key: key, in: folder)
        let again = try await Binary.run(["apply", ".", "--auto-approve"], environment: healthy.environment, in: folder)
        let plan = try await Binary.run(["plan", ".", "--detailed-exitcode"], environment: healthy.environment, in: folder)
        await healthy.stop()
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("Apply complete: 2 done, 0 reconciled, 0 failed, 0 skipped."), "\(again.stdout)")
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("No changes. Cogram matches the manifests."), "\(plan.stdout)")
        #expect(try members() == [ben: .owner, chloe: .viewer])
    }

    @Test func capOverridesGivenToPlanAreHonouredByApply() async throws {
        try await stopping(try await TestOrganization.start(projects: (1...6).map { .init(name: "P\($0)", externalID: "p-\($0)") })) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-1", name: "P1"))
            let refused = try await org.run(["plan", ".", "--detailed-exitcode"])
            #expect(refused.status == 4, "\(refused.stderr)")
            let approved = try await org.run(["plan", ".", "--allow-mass-archive", "--out", "plan.json"])
            #expect(approved.status == 0, "\(approved.stderr)")
            let apply = try await org.run(["apply", "plan.json"])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(try org.projects().filter { $0.status == .archived }.count == 5)
        }
    }

    @Test func aStalePlanNamesWhatChangedAndPrintsNoPlan() async throws {
        try await stopping(try await TestOrganization.start(projects: [.init(name: "Bridge", externalID: "p-bridge")])) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-bridge", name: "Bridge v2"))
            #expect(try await org.run(["plan", ".", "--out", "plan.json"]).status == 0)
            _ = try await org.withClient { client in
                let id = try #require(try org.project("p-bridge")?.id)
                return try await client.updateProject(id: id, ProjectPatch(name: "Renamed in the app"))
            }
            let stale = try await org.run(["apply", "plan.json"])
            #expect(stale.status == 3)
            #expect(stale.stderr.contains("project.p-bridge: name changed"), "\(stale.stderr)")
            #expect(!stale.stdout.contains("will be"), "the plan is not printed before refusing")

            #expect(try await org.run(["plan", ".", "--out", "fresh.json"]).status == 0)
            #expect(try await org.run(["apply", "fresh.json"]).status == 0)
            // Applied again: every change is already made, which is done (spec/cli.md, "Saved plans, revised").
            let again = try await org.run(["apply", "fresh.json"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout == "Nothing to do: the plan's one change is already made in Cogram.\n", "\(again.stdout)")
        }
    }

    @Test func targetsTakeAddressesAndATypoIsAnError() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-alpha") + projectYAML("p-beta"))
            let typo = try await org.run(["plan", ".", "--target", "p-alpah"])
            #expect(typo.status == 1)
            #expect(typo.stderr.contains("--target p-alpah matches no project in the manifests or in Cogram; did you mean project.p-alpha?"), "\(typo.stderr)")
            let address = try await org.run(["plan", ".", "--target", "project.p-alpha", "--format", "json"])
            #expect(address.status == 0, "\(address.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(address.stdout.utf8)) as? [String: Any])
            #expect((document["scope"] as? [String: Any])?["kind"] as? String == "targeted")
            #expect((document["summary"] as? [String: Any])?["create"] as? Int == 1)
            let human = try await org.run(["plan", ".", "--target", "project.p-alpha"])
            #expect(human.stdout.contains(", key from COGRAM_API_KEY\n\nTargeted plan (--target): only project.p-alpha."), "\(human.stdout)")
        }
    }

    @Test func anEditedOrUnsignedPlanIsRefusedWithNothingWritten() async throws {
        try await stopping(try await TestOrganization.start(projects: [
            .init(name: "Managed", externalID: "p-managed"), .init(id: "prj_unmanaged1", name: "Not managed"),
        ])) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-managed", name: "Renamed"))
            #expect(try await org.run(["plan", ".", "--out", "plan.json"]).status == 0)
            // Aim the rename at the unmanaged project while the address still shows the managed one.
            try editPlan(org) { document in
                var changes = document["changes"] as! [[String: Any]]
                var target = changes[0]["target"] as! [String: Any]
                target["project_id"] = "prj_unmanaged1"
                changes[0]["target"] = target
                document["changes"] = changes
            }
            await org.sandbox.resetStats()
            let tampered = try await org.run(["apply", "plan.json"])
            #expect(tampered.status == 3)
            #expect(tampered.stderr.contains("signature does not match"), "\(tampered.stderr)")
            let show = try await org.run(["show", "plan.json"])
            #expect(show.status == 3, "show does not display a forged plan when it can check it")

            try editPlan(org) { $0["signature"] = nil }
            let unsigned = try await org.run(["apply", "plan.json"])
            #expect(unsigned.status == 3)
            #expect(unsigned.stderr.contains("carries no signature"))
            #expect(await org.sandbox.stats().writes == 0)
            #expect(try org.projects().map(\.name).sorted() == ["Managed", "Not managed"])
        }
    }

    @Test func aPlanKeySharedByPlanAndApplyJobs() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a"))
            let plan = try await org.run(["plan", ".", "--out", "plan.json"], environment: ["COGRAM_PLAN_KEY": "pipeline-secret"])
            #expect(plan.status == 0)
            let wrong = try await org.run(["apply", "plan.json"])
            #expect(wrong.status == 3)
            #expect(wrong.stderr.contains("derived from the API key"))
            let right = try await org.run(["apply", "plan.json"], environment: ["COGRAM_PLAN_KEY": "pipeline-secret"])
            #expect(right.status == 0, "\(right.stderr)")
        }
    }

    @Test func manifestsThatChangedSinceThePlanAreRefused() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a"))
            #expect(try await org.run(["plan", "manifest.yaml", "--out", "plan.json"]).status == 0)
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a", name: "Changed"))
            let refused = try await org.run(["apply", "plan.json", "--manifests", "manifest.yaml"])
            #expect(refused.status == 3)
            #expect(refused.stderr.contains("the manifests changed since the plan was made"), "\(refused.stderr)")
            #expect(try org.projects().isEmpty)
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a"))
            let applied = try await org.run(["apply", "plan.json", "--manifests", "manifest.yaml"])
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(try org.project("p-a") != nil)
        }
    }

    @Test func archivesSayWhatAndWhyAndAPITextCannotStartALine() async throws {
        try await stopping(try await TestOrganization.start(projects: [
            .init(name: "Old Site", externalID: "p-old"), .init(name: "Keep", externalID: "p-keep"),
            .init(name: "Evil", externalID: "p-evil\n::error::pwned"),
        ])) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-keep", name: "Keep"))
            let plan = try await org.run(["plan", ".", "--allow-mass-archive"], environment: ["GITHUB_ACTIONS": "true"])
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stdout.contains(#"# project.p-old ("Old Site") will be ARCHIVED: listed in no manifest"#), "\(plan.stdout)")
            for line in (plan.stdout + plan.stderr).split(separator: "\n") {
                #expect(!line.hasPrefix("::error::pwned"), "API text started a line: \(line)")
            }
            #expect(plan.stdout.contains(#"project.p-evil\n::error::pwned"#))
        }
    }
}
