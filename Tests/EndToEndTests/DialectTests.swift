import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The built binary against a sandbox that departs from the contract in one way at a time (a dialect): plan,
/// apply, plan again. Each run either converges with no wrong write, or stops with nothing written.
@Suite struct DialectEndToEndTests {
    /// One scenario per dialect set, with what the sandbox needs besides.
    struct Case: Sendable, CustomTestStringConvertible {
        var dialects: Set<SandboxDialect>
        var faults = FaultOptions()
        var rateLimitPerMinute = 1000

        var testDescription: String { dialects.sorted().map(\.rawValue).joined(separator: "+") }
    }

    static let convergingCases: [Case] = [
        Case(dialects: [.dataEnvelope]),
        Case(dialects: [.extraFields]),
        Case(dialects: [.ignoreFilters]),
        Case(dialects: [.delete204]),
        // A server limit low enough that the client paces itself by X-RateLimit-Remaining and -Reset.
        Case(dialects: [.epochReset], rateLimitPerMinute: 300),
        // Injected 429 bursts, so that Retry-After is met (as a date).
        Case(dialects: [.retryAfterDate], faults: FaultOptions(seed: 3, rateLimitBurstRate: 0.15, rateLimitBurstLength: 1)),
        Case(dialects: [.loseFirstCreate]),
        Case(dialects: [.loseFirstCreate, .noUniqueExternalID]),
        // The retried create meets a 409, and the read that follows gets every project back.
        Case(dialects: [.loseFirstCreate, .ignoreFilters]),
        Case(dialects: [.dataEnvelope, .extraFields, .delete204, .ignoreFilters]),
    ]

    /// An unkeyed project first (what a `.first` of an unfiltered list finds), five managed ones.
    static let seededProjects: [SandboxSeed.Project] = [
        .init(name: "Side Project", members: [.init(email: TestOrganization.email("farah"), role: .owner)]),
        .init(name: "Keep", externalID: "p-keep", members: [
            .init(email: TestOrganization.email("ana"), role: .owner),
            .init(email: TestOrganization.email("ben"), role: .viewer),
        ]),
        .init(name: "Keep B", externalID: "p-keep-b"),
        .init(name: "Keep C", externalID: "p-keep-c"),
        .init(name: "Old Name", externalID: "p-rename", members: [.init(email: TestOrganization.email("chloe"), role: .viewer)]),
        .init(name: "To Archive", externalID: "p-gone"),
    ]

    static let manifest = """
        version: 1
        projects:
        \(projectYAML("p-keep", name: "Keep", members: [("ana", "owner"), ("ben", "viewer")]))\
        \(projectYAML("p-keep-b", name: "Keep B"))\
        \(projectYAML("p-keep-c", name: "Keep C"))\
        \(projectYAML("p-rename", name: "New Name"))\
        \(projectYAML("p-new", name: "Brand New", members: [("ana", "owner"), ("ben", "editor")]))
        """

    /// `external_id (or name) → name, status` of every project, in creation order.
    static func snapshot(_ org: TestOrganization) throws -> [String] {
        try org.projects().map { "\($0.externalID ?? "-") \($0.name) \($0.status.rawValue)" }
    }

    /// The organization after the manifest was applied, and nothing else.
    static func expectConverged(_ org: TestOrganization, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(
            try snapshot(org) == [
                "- Side Project active", "p-keep Keep active", "p-keep-b Keep B active", "p-keep-c Keep C active",
                "p-rename New Name active", "p-gone To Archive archived", "p-new Brand New active",
            ], sourceLocation: sourceLocation)
        #expect(
            try org.members("p-new") == [TestOrganization.email("ana"): .owner, TestOrganization.email("ben"): .editor],
            sourceLocation: sourceLocation)
        #expect(
            try org.members("p-keep") == [TestOrganization.email("ana"): .owner, TestOrganization.email("ben"): .viewer],
            sourceLocation: sourceLocation)
    }

    @Test(arguments: convergingCases)
    func planApplyPlanConverges(_ scenario: Case) async throws {
        try await stopping(try await TestOrganization.start(
            projects: Self.seededProjects, faults: scenario.faults, rateLimitPerMinute: scenario.rateLimitPerMinute,
            runTimeout: 120, dialects: scenario.dialects)) { org in
            try org.write(Self.manifest)

            let plan = try await org.run(["plan", ".", "--detailed-exitcode"])
            #expect(plan.status == 2, "\(plan.stdout)\n\(plan.stderr)")
            #expect(plan.stdout.contains("+ project.p-new"), "\(plan.stdout)")
            #expect(try Self.snapshot(org).count == 6, "plan writes nothing")

            let apply = try await org.run(["apply", ".", "--auto-approve"])
            #expect(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")
            try Self.expectConverged(org)

            let again = try await org.run(["plan", ".", "--detailed-exitcode"])
            #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
            #expect(again.stdout.contains("No changes."), "\(again.stdout)")
            try Self.expectConverged(org)
        }
    }

    /// The create of a saved plan meets a project made meanwhile (409 on the server, or a twin without
    /// uniqueness) while the server ignores `external_id=`: nothing but that project may change.
    @Test(arguments: [Set<SandboxDialect>([.ignoreFilters]), [.ignoreFilters, .noUniqueExternalID]])
    func aCreateThatMeetsAProjectMadeMeanwhileTouchesNoOtherProject(_ dialects: Set<SandboxDialect>) async throws {
        try await stopping(try await TestOrganization.start(projects: Self.seededProjects, runTimeout: 120, dialects: dialects)) { org in
            try org.write(Self.manifest)
            let plan = try await org.run(["plan", ".", "--out", "p.json"])
            #expect(plan.status == 0, "\(plan.stderr)")
            let made = try await org.withClient { client in
                try await client.createProject(ProjectCreate(name: "Made Meanwhile", externalID: "p-new"), retrySafe: false)
            }
            let before = try Self.snapshot(org)

            let apply = try await org.run(["apply", "p.json"])
            #expect([0, 1, 3].contains(apply.status), "\(apply.stdout)\n\(apply.stderr)")
            let after = try org.projects()
            let untouched = ["Side Project", "p-keep", "p-keep-b", "p-keep-c"]
            for project in after where untouched.contains(project.externalID ?? project.name) {
                #expect(before.contains("\(project.externalID ?? "-") \(project.name) \(project.status.rawValue)"), "changed: \(project)")
            }
            #expect(after.filter { $0.externalID == "p-new" }.map(\.id) == [made.id], "no second p-new")
            #expect(after.count == 7)

            // The manifests then converge, on the project that was made meanwhile.
            if !dialects.contains(.noUniqueExternalID) {
                let converge = try await org.run(["apply", ".", "--auto-approve"])
                #expect(converge.status == 0, "\(converge.stdout)\n\(converge.stderr)")
                try Self.expectConverged(org)
                #expect(try org.project("p-new")?.id == made.id)
            }
        }
    }

    /// Two Cogram projects with one managed external_id: plan names both and stops; apply writes nothing.
    @Test func twoProjectsSharingAnExternalIDStopThePlan() async throws {
        try await stopping(try await TestOrganization.start(projects: Self.seededProjects, runTimeout: 120, dialects: [.noUniqueExternalID])) { org in
            try org.write(Self.manifest)
            let twin = try await org.withClient { client in
                try await client.createProject(ProjectCreate(name: "Keep Twin", externalID: "p-keep"), retrySafe: false)
            }
            let original = try #require(try org.projects().first { $0.name == "Keep" })
            let before = try Self.snapshot(org)
            await org.sandbox.resetStats()

            let plan = try await org.run(["plan", ".", "--detailed-exitcode"])
            #expect(plan.status == 1, "\(plan.stdout)\n\(plan.stderr)")
            #expect(plan.stderr.contains("p-keep"), "\(plan.stderr)")
            #expect(plan.stderr.contains(original.id) && plan.stderr.contains(twin.id), "every id involved: \(plan.stderr)")

            let apply = try await org.run(["apply", ".", "--auto-approve"])
            #expect(apply.status == 1, "\(apply.stdout)\n\(apply.stderr)")
            #expect(apply.stderr.contains(original.id) && apply.stderr.contains(twin.id), "\(apply.stderr)")
            #expect(await org.sandbox.stats().writes == 0, "nothing written")
            #expect(try Self.snapshot(org) == before)
        }
    }

    /// Unknown roles and statuses: shown as they are, replaced only where the manifest says so, and a project
    /// whose status cannot be read is left alone.
    @Test func unknownEnumValuesChangeOnlyWhereTheManifestAsks() async throws {
        try await stopping(try await TestOrganization.start(projects: Self.seededProjects, runTimeout: 120, dialects: [.unknownEnumValues])) { org in
            let store = org.sandbox.store
            let orgID = org.organizationID
            try store.clearUnknownValues(organization: orgID)
            let keep = try #require(try org.project("p-keep")).id
            let rename = try #require(try org.project("p-rename")).id
            let keepB = try #require(try org.project("p-keep-b")).id
            let ben = try #require(try org.user("ben")).id
            let chloe = try #require(try org.user("chloe")).id
            let diego = try #require(try org.user("diego")).id
            let ivan = try #require(try org.user("ivan")).id
            try store.setUnknownValue(.memberRole(projectID: keep, userID: ben), to: "approver", organization: orgID)
            try store.setUnknownValue(.memberRole(projectID: rename, userID: chloe), to: "approver", organization: orgID)
            try store.setUnknownValue(.projectStatus(projectID: keepB), to: "paused", organization: orgID)
            try store.setUnknownValue(.userRole(userID: diego), to: "billing", organization: orgID)
            try store.setUnknownValue(.userRole(userID: ivan), to: "billing", organization: orgID)
            try store.setUnknownValue(.userStatus(userID: ivan), to: "suspended", organization: orgID)
            try org.write("""
                version: 1
                users:
                  - email: \(TestOrganization.email("diego"))
                    role: admin
                projects:
                \(projectYAML("p-keep", name: "Keep", members: [("ana", "owner"), ("ben", "editor")]))\
                \(projectYAML("p-keep-b", name: "Keep B Renamed"))\
                \(projectYAML("p-keep-c", name: "Keep C"))\
                \(projectYAML("p-rename", name: "Old Name"))\
                \(projectYAML("p-gone", name: "To Archive"))
                """)

            let plan = try await org.run(["plan", ".", "--detailed-exitcode"])
            #expect(plan.status == 2, "\(plan.stdout)\n\(plan.stderr)")
            #expect(plan.stdout.contains("approver"), "unknown values are shown as they are: \(plan.stdout)")
            #expect((plan.stdout + plan.stderr).contains("paused"), "the unreadable status is reported: \(plan.stdout)\n\(plan.stderr)")

            let apply = try await org.run(["apply", ".", "--auto-approve"])
            #expect(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")
            #expect(try org.members("p-keep")[TestOrganization.email("ben")] == .editor)
            #expect(try org.user("diego")?.role == .admin)
            let left = try store.unknownValues(organization: orgID)
            #expect(left[.memberRole(projectID: keep, userID: ben)] == nil, "replaced as the manifest asked")
            #expect(left[.userRole(userID: diego)] == nil, "replaced as the manifest asked")
            #expect(left[.memberRole(projectID: rename, userID: chloe)] == "approver", "members of p-rename are not managed")
            #expect(left[.userRole(userID: ivan)] == "billing" && left[.userStatus(userID: ivan)] == "suspended")
            #expect(left[.projectStatus(projectID: keepB)] == "paused")
            #expect(try org.project("p-keep-b")?.name == "Keep B", "a project whose status is unknown is left alone")

            let again = try await org.run(["plan", ".", "--detailed-exitcode"])
            #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        }
    }

    @Test func serveTakesDialectsAndRefusesUnknownNames() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cogramctl-dialect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let seed = Repository.path("examples/sandbox-seed.json")
        let db = folder.appendingPathComponent("s.sqlite").path

        let wrong = try await Binary.run(
            ["sandbox", "serve", "--db", db, "--seed", seed, "--port", "0", "--dialect", "data-envelope,delete204"], in: folder)
        #expect(wrong.status == 64, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("unknown dialect 'delete204'; valid dialects: \(SandboxDialect.names)"), "\(wrong.stderr)")

        let key = "dialect-key-" + UUID().uuidString
        let server = try BackgroundBinary(
            ["sandbox", "serve", "--db", db, "--seed", seed, "--port", "0", "--api-key", key,
             "--dialect", "delete-204", "--dialect", "data-envelope"],
            environment: ["NO_COLOR": "1"], in: folder)
        let listening = await server.wait(timeout: 60) { server.stderr.contains("listening on http://") }
        #expect(listening, "\(server.stderr)")
        #expect(server.stderr.contains("dialects: data-envelope,delete-204"), "\(server.stderr)")
        let url = server.stderr.split(separator: "\n").first { $0.contains("listening on http://") }
            .flatMap { line in line.split(separator: " ").first { $0.hasPrefix("http://") } }.map(String.init)
        if let url, let endpoint = URL(string: url + "/v1/projects") {
            var request = URLRequest(url: endpoint)
            request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
            let (data, _) = try await URLSession.shared.data(for: request)
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            #expect(object?["data"] is [Any] && object?["meta"] is [String: Any], "\(String(decoding: data, as: UTF8.self))")
        }
        server.send(SIGINT)
        #expect(await server.wait(timeout: 30) == 0)
    }
}
