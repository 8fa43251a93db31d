import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// The built binary against a sandbox over real HTTP, one scenario per test.
@Suite struct PlanApplyEndToEndTests {
    @Test func fromEmptyThenNothingToDo() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("""
                version: 1
                users:
                  - email: \(TestOrganization.email("ben"))
                    role: admin
                    external_id: E-2
                projects:
                \(projectYAML("p-bridge", name: "Harbor Bridge", extra: "description: Retrofit", members: [("ana", "owner"), ("ben", "editor")]))\
                \(projectYAML("p-depot", name: "Depot", members: [("chloe", "owner")]))
                """)
            let plan = try await org.run(["plan", ".", "--detailed-exitcode"])
            #expect(plan.status == 2, "\(plan.stderr)")
            #expect(plan.stdout.contains("+ project.p-bridge"))
            #expect(plan.stdout.contains("Plan: 2 to create"))

            let apply = try await org.run(["apply", ".", "--auto-approve"])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(apply.stdout.contains("Apply complete: 6 done, 0 reconciled, 0 failed, 0 skipped."))
            #expect(try org.project("p-bridge")?.name == "Harbor Bridge")
            #expect(try org.project("p-bridge")?.description == "Retrofit")
            #expect(try org.members("p-bridge") == [TestOrganization.email("ana"): .owner, TestOrganization.email("ben"): .editor])
            #expect(try org.members("p-depot") == [TestOrganization.email("chloe"): .owner])
            #expect(try org.user("ben")?.role == .admin)
            #expect(try org.user("ben")?.externalID == "E-2")

            let again = try await org.run(["plan", ".", "--detailed-exitcode"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("No changes. Cogram matches the manifests."))

            await org.sandbox.resetStats()
            let second = try await org.run(["apply", ".", "--auto-approve"])
            #expect(second.status == 0)
            let stats = await org.sandbox.stats()
            #expect(stats.writes == 0, "a second apply writes nothing")
            #expect(stats.byMethod["POST", default: 0] + stats.byMethod["PATCH", default: 0] + stats.byMethod["PUT", default: 0]
                + stats.byMethod["DELETE", default: 0] == 0)
        }
    }

    @Test func renameRekeyAdoptArchiveRestore() async throws {
        try await stopping(try await TestOrganization.start(projects: [
            .init(name: "Old Name", externalID: "p-rename"),
            .init(name: "Warehouse", externalID: "p-old-key"),
            .init(id: "prj_adopt1", name: "Unkeyed Depot"),
            .init(name: "To Archive", externalID: "p-gone"),
            .init(name: "Canal", externalID: "p-canal", status: .archived),
            .init(name: "Keep A", externalID: "p-keep-a"),
            .init(name: "Keep B", externalID: "p-keep-b"),
            .init(name: "Keep C", externalID: "p-keep-c"),
        ])) { org in
            let before = try org.projects()
            try org.write("""
                version: 1
                projects:
                \(projectYAML("p-rename", name: "New Name"))\
                \(projectYAML("p-new-key", name: "Warehouse", extra: "previous_external_ids: [p-old-key]"))\
                \(projectYAML("p-adopted", name: "Unkeyed Depot", extra: "id: prj_adopt1"))\
                \(projectYAML("p-canal", name: "Canal"))\
                \(projectYAML("p-keep-a", name: "Keep A"))\
                \(projectYAML("p-keep-b", name: "Keep B"))\
                \(projectYAML("p-keep-c", name: "Keep C"))
                """)
            let plan = try await org.run(["plan", "."])
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stdout.contains("name: \"Old Name\" → \"New Name\""))
            #expect(plan.stdout.contains("external_id: \"p-old-key\" → \"p-new-key\""))
            #expect(plan.stdout.contains("external_id: null → \"p-adopted\""))
            #expect(plan.stdout.contains("project.p-gone will be ARCHIVED") || plan.stdout.contains("project.p-gone"))
            #expect(!plan.stdout.contains("+ project.p-new-key"), "re-keying never creates")

            let apply = try await org.run(["apply", ".", "--auto-approve"])
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            let after = try org.projects()
            #expect(after.count == before.count, "no project was created")
            let id = { (name: String) in before.first { $0.name == name }?.id }
            #expect(try org.project("p-rename")?.id == id("Old Name"))
            #expect(try org.project("p-rename")?.name == "New Name")
            #expect(try org.project("p-new-key")?.id == id("Warehouse"))
            #expect(try org.project("p-old-key") == nil)
            #expect(try org.project("p-adopted")?.id == "prj_adopt1")
            #expect(try org.project("p-gone")?.status == .archived)
            #expect(try org.project("p-canal")?.status == .active)
            #expect(try await org.run(["plan", ".", "--detailed-exitcode"]).status == 0)
        }
    }

    @Test func membersAndUserRoles() async throws {
        try await stopping(try await TestOrganization.start(projects: [
            .init(name: "Bridge", externalID: "p-bridge", members: [
                .init(email: TestOrganization.email("ana"), role: .owner),
                .init(email: TestOrganization.email("ben"), role: .viewer),
                .init(email: TestOrganization.email("chloe"), role: .editor),
            ]),
            .init(name: "Untouched", externalID: "p-free", members: [.init(email: TestOrganization.email("diego"), role: .owner)]),
        ])) { org in
            try org.write("""
                version: 1
                users:
                  - email: \(TestOrganization.email("ivan"))
                    role: member
                projects:
                \(projectYAML("p-bridge", name: "Bridge", members: [("ana", "owner"), ("ben", "editor"), ("elif", "viewer")]))\
                \(projectYAML("p-free", name: "Untouched"))
                """)
            let apply = try await org.run(["apply", ".", "--auto-approve"])
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            #expect(try org.members("p-bridge") == [
                TestOrganization.email("ana"): .owner, TestOrganization.email("ben"): .editor, TestOrganization.email("elif"): .viewer,
            ])
            #expect(try org.members("p-free") == [TestOrganization.email("diego"): .owner], "members absent = not managed")
            #expect(try org.user("ivan")?.role == .member)
        }
    }

    @Test func unknownAndDeactivatedEmailsArePlanErrors() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("""
                version: 1
                projects:
                \(projectYAML("p-x", members: [("ana", "owner"), ("nobody", "viewer"), ("gone", "viewer")]))
                """)
            let plan = try await org.run(["plan", "."])
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("\nmanifest.yaml:8:9: error:") || plan.stderr.hasPrefix("manifest.yaml:8:9: error:"), "\(plan.stderr)")
            #expect(plan.stderr.contains("nobody@northwind-build.example"))
            #expect(plan.stderr.contains("gone@northwind-build.example"))
            #expect(plan.stderr.contains("      - email: nobody@northwind-build.example"), "the source line is shown")
            #expect(try org.projects().isEmpty)
        }
    }

    @Test func savedPlanAppliesExactlyAndRefusesWhenStale() async throws {
        try await stopping(try await TestOrganization.start(projects: [.init(name: "Bridge", externalID: "p-bridge")])) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-bridge", name: "Bridge v2") + projectYAML("p-new", name: "New"))
            let plan = try await org.run(["plan", ".", "--out", "plan.json"])
            #expect(plan.status == 0, "\(plan.stderr)")
            let saved = try String(contentsOf: org.directory.appendingPathComponent("plan.json"), encoding: .utf8)
            #expect(saved.contains("\"kind\" : \"cogramctl-plan\"") || saved.contains("\"kind\":\"cogramctl-plan\""))
            #expect(!saved.contains(org.key), "the key is never written")

            let show = try await org.run(["show", "plan.json", "--format", "markdown"])
            #expect(show.status == 0)
            #expect(show.stdout.contains("project.p-new"))

            // Someone renames the project in the app after the plan was made.
            _ = try await org.withClient { client in
                let id = try #require(try org.project("p-bridge")?.id)
                return try await client.updateProject(id: id, ProjectPatch(name: "Renamed in the app"))
            }
            await org.sandbox.resetStats()
            let stale = try await org.run(["apply", "plan.json"])
            #expect(stale.status == 3, "\(stale.stderr)")
            #expect(stale.stderr.contains("project.p-bridge"))
            #expect(await org.sandbox.stats().writes == 0, "nothing applied")

            // A fresh plan applies.
            #expect(try await org.run(["plan", ".", "--out", "plan2.json"]).status == 0)
            let applied = try await org.run(["apply", "plan2.json"])
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(try org.project("p-bridge")?.name == "Bridge v2")
            #expect(try org.project("p-new") != nil)
        }
    }

    @Test func createRaceBetweenPlanAndApplyIsCaught() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-race", name: "Race", members: [("ana", "owner")]))
            #expect(try await org.run(["plan", ".", "--out", "plan.json"]).status == 0)
            // Another client creates the same project between plan and apply.
            _ = try await org.withClient { try await $0.createProject(ProjectCreate(name: "Race", externalID: "p-race"), retrySafe: true) }
            // The project is already as the plan makes it: its create counts as done, and its member goes into the
            // project the other client made (spec/cli.md, "Saved plans, revised"). No duplicate.
            let finished = try await org.run(["apply", "plan.json"])
            #expect(finished.status == 0, "\(finished.stderr)")
            #expect(finished.stdout.contains("1 change of this plan already made in Cogram (counted as done); applying the other 1."), "\(finished.stdout)")
            #expect(try org.projects().filter { $0.externalID == "p-race" }.count == 1)
            #expect(try org.members("p-race") == [TestOrganization.email("ana"): .owner])
            // Created with another name: not the planned state, so stale.
            try org.write("version: 1\nprojects:\n" + projectYAML("p-race", name: "Race", members: [("ana", "owner")])
                + projectYAML("p-race2", name: "Race", members: [("ana", "owner")]))
            #expect(try await org.run(["plan", ".", "--out", "plan2.json"]).status == 0)
            _ = try await org.withClient { try await $0.createProject(ProjectCreate(name: "Other", externalID: "p-race2"), retrySafe: true) }
            let stale = try await org.run(["apply", "plan2.json"])
            #expect(stale.status == 3, "\(stale.stderr)")
            // Applying the manifests instead converges on the existing project: no duplicate.
            let apply = try await org.run(["apply", ".", "--auto-approve"])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(try org.projects().filter { $0.externalID == "p-race2" }.count == 1)
            #expect(try org.members("p-race2") == [TestOrganization.email("ana"): .owner])
        }
    }

    @Test func expiredAndForeignPlansAreRefused() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a"))
            #expect(try await org.run(["plan", ".", "--out", "plan.json"]).status == 0)
            let url = org.directory.appendingPathComponent("plan.json")
            var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            document["expires_at"] = "2020-01-01T00:00:00Z"
            try JSONSerialization.data(withJSONObject: document).write(to: url)
            // An edited expiry no longer matches the signature (expiry itself: PlanIntegrityTests and DocumentTests).
            let expired = try await org.run(["apply", "plan.json"])
            #expect(expired.status == 3)
            #expect(expired.stderr.contains("signature does not match"))

            #expect(try await org.run(["plan", ".", "--out", "plan.json"]).status == 0)
            let foreign = try await org.run(["apply", "plan.json"], environment: ["COGRAM_API_URL": "http://127.0.0.2:1"])
            #expect(foreign.status == 3, "\(foreign.stderr)")
            #expect(try org.projects().isEmpty)
        }
    }

    @Test func safetyCapsRefuseBeforeAnyWrite() async throws {
        try await stopping(try await TestOrganization.start(projects: (1...6).map { .init(name: "P\($0)", externalID: "p-\($0)") })) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-1", name: "P1") + projectYAML("p-new"))
            let plan = try await org.run(["plan", "."])
            #expect(plan.status == 4, "plan fails where apply would")
            #expect(plan.stderr.contains("--allow-mass-archive"), "plan names the flag")

            await org.sandbox.resetStats()
            let refused = try await org.run(["apply", ".", "--auto-approve"])
            #expect(refused.status == 4, "\(refused.stderr)")
            #expect(await org.sandbox.stats().writes == 0, "nothing applied")
            #expect(try org.project("p-new") == nil)

            let allowed = try await org.run(["apply", ".", "--auto-approve", "--allow-mass-archive"])
            #expect(allowed.status == 0, "\(allowed.stderr)")
            #expect(try org.projects().filter { $0.status == .archived }.count == 5)
        }
    }

    @Test func ownerlessProjectIsRefused() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a", members: [("ana", "viewer")]))
            #expect(try await org.run(["apply", ".", "--auto-approve"]).status == 4)
            #expect(try await org.run(["apply", ".", "--auto-approve", "--allow-no-owner"]).status == 0)
        }
    }

    @Test func applyWithoutTerminalNeedsAutoApprove() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a"))
            let result = try await org.run(["apply", "."], input: "yes\n")
            #expect(result.status == 1)
            #expect(result.stderr.contains("--auto-approve"))
            #expect(try org.projects().isEmpty)
        }
    }

    @Test func faultsAfterTheChangeConverge() async throws {
        let faults = FaultOptions(seed: 7, errorAfterRate: 0.4)
        let faulty = try await TestOrganization.start(faults: faults)
        let manifest = "version: 1\nprojects:\n" + (1...8).map {
            projectYAML("p-\($0)", members: [("ana", "owner"), ("ben", "editor")])
        }.joined()
        try faulty.write(manifest)
        let first = try await faulty.run(["apply", ".", "--auto-approve", "--parallelism", "1"])
        #expect(first.status == 0 || first.status == 1, "\(first.stderr)")
        #expect(first.stdout.contains("reconciled"), "a create whose answer was lost is reconciled:\n\(first.stdout)")
        try await stopping(try await faulty.restarted()) { org in
            let second = try await org.run(["apply", ".", "--auto-approve"])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(try await org.run(["plan", ".", "--detailed-exitcode"]).status == 0)
            let projects = try org.projects()
            #expect(projects.count == 8, "no duplicates")
            for i in 1...8 {
                #expect(try org.members("p-\(i)") == [TestOrganization.email("ana"): .owner, TestOrganization.email("ben"): .editor])
            }
        }
    }

    @Test func concurrentAppliesEndInTheSameState() async throws {
        try await stopping(try await TestOrganization.start(faults: FaultOptions(seed: 1, latencyMilliseconds: 20))) { org in
            let manifest = "version: 1\nprojects:\n" + (1...10).map {
                projectYAML("p-\($0)", members: [("ana", "owner"), ("chloe", "viewer")])
            }.joined()
            try org.write(manifest)
            let results = try await withThrowingTaskGroup(of: Binary.Result.self) { group in
                for _ in 0..<2 {
                    group.addTask { try await org.run(["apply", ".", "--auto-approve"]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for result in results { #expect(result.status == 0, "\(result.stdout)\(result.stderr)") }
            #expect(try org.projects().count == 10)
            for i in 1...10 {
                #expect(try org.members("p-\(i)") == [TestOrganization.email("ana"): .owner, TestOrganization.email("chloe"): .viewer])
            }
            #expect(try await org.run(["plan", ".", "--detailed-exitcode"]).status == 0)
        }
    }

    @Test func targetLimitsTheChanges() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a") + projectYAML("p-b"))
            let apply = try await org.run(["apply", ".", "--auto-approve", "--target", "p-a"])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(try org.project("p-a") != nil)
            #expect(try org.project("p-b") == nil)
        }
    }

    @Test func jsonAndMarkdownFormats() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("version: 1\nprojects:\n" + projectYAML("p-a", members: [("ana", "owner")]))
            let json = try await org.run(["plan", ".", "--format", "json"])
            #expect(json.status == 0)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(document["kind"] as? String == "cogramctl-plan")
            #expect((document["summary"] as? [String: Any])?["create"] as? Int == 1)
            #expect((document["summary"] as? [String: Any])?["add_member"] as? Int == 1)
            let summaryFile = org.directory.appendingPathComponent("summary.md")
            let markdown = try await org.run(["plan", ".", "--format", "markdown"], environment: ["GITHUB_STEP_SUMMARY": summaryFile.path])
            #expect(markdown.status == 0)
            #expect(markdown.stdout.contains("project.p-a"))
            let summary = try String(contentsOf: summaryFile, encoding: .utf8)
            #expect(summary.contains("project.p-a"))
        }
    }

    /// The embedded sandbox limits requests like Cogram, 1000 a minute, and says so; `--rate-limit N` above that
    /// raises its limit to N (never lowers it).
    @Test(arguments: [([String](), 1000), (["--rate-limit", "600"], 1000), (["--rate-limit", "50000"], 50000)])
    func embeddedSandboxFollowsAHigherClientRateLimit(options: [String], limit: Int) async throws {
        let folder = try makeTemporaryDirectory("cogramctl-limit")
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifests = Repository.path("examples/northwind")
        let db = folder.appendingPathComponent("s.sqlite").path
        let plan = try await Binary.run(["plan", manifests, "--sandbox=\(db)"] + options, environment: ["NO_COLOR": "1"], in: folder)
        #expect(plan.status == 0, "\(plan.stderr.suffix(1500))")
        #expect(plan.stderr.contains(", \(limit) requests/min); nothing is sent to Cogram"), "\(plan.stderr.prefix(600))")
    }
}
