import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// `cogramctl import` against a seeded sandbox: its output plans clean apart from adoptions, and after they are
/// applied, clean entirely.
@Suite struct ImportEndToEndTests {
    /// Import, plan and apply read the whole organization again and again here; at Cogram's 1000 a minute the
    /// client's pacing alone would take half a minute. Pacing is RateLimitTests' subject, not this suite's.
    static let unpacedLimit = 1_000_000
    static let unpaced = ["--rate-limit", String(unpacedLimit)]

    /// What `import` says on stderr without `--organization-name`.
    static let organizationHint =
        "hint: no 'organization:' section written; pass --organization-name NAME so that plans name the organization and check that the key reads it\n"

    static let trickyNames = [
        "Harbor Bridge", "Harbor Bridge", "Harbor Bridge", "007 Tower", "yes", "null", "#hash", " Padded Site ",
        "He said \"hi\" & 'bye'", "Phase: 2", "Brücke Süd", "Øresund – Fase 2", "東京タワー改修", "東京タワー改修", "0042",
        "1e3", "a #b", "- dash", "Tab\there", "Café: \"Crème\"",
    ]

    /// 63 projects: 20 unkeyed with tricky names (one collides with an existing key), 31 keyed, 6 archived with
    /// an external_id, 2 archived without, 4 keyed with tricky names or members; members on many of them.
    static func seedProjects() -> [SandboxSeed.Project] {
        let people = ["ana", "ben", "chloe", "diego", "elif", "farah", "ivan"]
        func members(_ index: Int) -> [SandboxSeed.Member] {
            let roles: [ProjectRole] = [.owner, .editor, .viewer]
            return (0..<(index % 4)).map { k in
                SandboxSeed.Member(email: TestOrganization.email(people[(index + k) % people.count]), role: roles[k % 3])
            }
        }
        var projects: [SandboxSeed.Project] = []
        for (index, name) in trickyNames.enumerated() {
            projects.append(.init(
                id: "prj_unkeyed\(index)", name: name,
                description: index % 3 == 0 ? nil : "Line \(index): \"quoted\"\nsecond: line #\(index)",
                members: members(index)))
        }
        projects.append(.init(name: "Harbor Bridge (old key)", externalID: "harbor-bridge", members: members(1)))
        for index in 1...30 {
            projects.append(.init(
                name: "Project \(index)", description: index % 2 == 0 ? "null" : nil,
                externalID: String(format: "nw-%03d", index), members: members(index)))
        }
        for index in 1...6 {
            projects.append(.init(name: "Archived \(index)", externalID: "nw-arch-\(index)", status: .archived))
        }
        projects.append(.init(id: "prj_gone1", name: "Old Unkeyed", status: .archived))
        projects.append(.init(id: "prj_gone2", name: "Older Unkeyed", status: .archived))
        projects.append(.init(name: "yes", externalID: "0042", members: [.init(email: TestOrganization.email("ana"), role: .owner)]))
        projects.append(.init(name: "Brücke Süd", description: "", externalID: "nw-bruecke"))
        projects.append(.init(
            name: "With a former colleague", externalID: "nw-gone",
            members: [.init(email: TestOrganization.email("ana"), role: .owner), .init(email: TestOrganization.email("gone"), role: .viewer)]))
        projects.append(.init(name: " Padded Site ", externalID: "nw-padded", members: []))
        return projects
    }

    static let users: [SandboxSeed.User] = TestOrganization.defaultUsers + [
        .init(email: TestOrganization.email("otto"), name: "Otto", role: .member, externalID: "0042"),
        .init(email: TestOrganization.email("pia"), name: "Pia", role: .guest, externalID: "yes"),
    ]

    /// The file's modeline names a schema that exists where the file is (a temporary directory, not this
    /// repository) and is exactly what `cogramctl schema manifest` prints.
    static func expectModelineResolves(in directory: URL, file: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        let modeline = try #require(text.split(separator: "\n").first, sourceLocation: sourceLocation)
        let prefix = "# yaml-language-server: $schema="
        #expect(modeline.hasPrefix(prefix), sourceLocation: sourceLocation)
        let target = directory.appendingPathComponent(String(modeline.dropFirst(prefix.count))).standardizedFileURL
        #expect(!target.path.hasPrefix(Repository.root.standardizedFileURL.path + "/"), sourceLocation: sourceLocation)
        let written = try Data(contentsOf: target)
        let printed = try await Binary.run(["schema", "manifest"])
        #expect(written == Data(printed.stdout.utf8), sourceLocation: sourceLocation)
        #expect(!written.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func importThenPlanShowsOnlyAdoptionsAndApplyConverges() async throws {
        try await stopping(try await TestOrganization.start(projects: Self.seedProjects(), users: Self.users, rateLimitPerMinute: Self.unpacedLimit)) { org in
            let adopted = Self.trickyNames.count
            let summary = "Imported 61 projects (6 archived, \(adopted) adopted with a generated external_id), 9 users; "
                + "left out: 1 deactivated user, 2 archived projects without an external_id."

            // Per-project files.
            let split = try await org.run(["import", "--out", "out", "--layout", "per-project"] + Self.unpaced)
            #expect(split.status == 0, "\(split.stderr)")
            #expect(split.stdout.isEmpty)
            #expect(split.stderr == ImportEndToEndTests.organizationHint + summary + "\n", "no progress when stderr is not a terminal")
            let files = try FileManager.default.contentsOfDirectory(atPath: org.directory.appendingPathComponent("out").path)
            #expect(files.count == 63)
            #expect(files.contains("organization.yaml"))
            let organization = try String(contentsOf: org.directory.appendingPathComponent("out/organization.yaml"), encoding: .utf8)
            #expect(organization.hasPrefix("# yaml-language-server: $schema=cogram-manifest.v1.schema.json\n#\n# Imported from \(org.sandbox.baseURL) on "))
            try await Self.expectModelineResolves(in: org.directory.appendingPathComponent("out"), file: "organization.yaml")
            #expect(organization.contains("  - email: \(TestOrganization.email("otto"))\n    role: member\n    external_id: \"0042\"\n"))
            #expect(organization.contains("# - 2 archived projects without an external_id"))
            #expect(!organization.contains("gone@"))

            // One document on stdout.
            let single = try await org.run(["import"] + Self.unpaced)
            #expect(single.status == 0, "\(single.stderr)")
            #expect(single.stderr == ImportEndToEndTests.organizationHint + summary + "\n")
            #expect(single.stdout.hasPrefix("# Schema: `cogramctl schema manifest > cogram-manifest.v1.schema.json` writes it"))
            for line in [
                "name: 007 Tower", "name: \"yes\"", "name: \"null\"", "name: \"#hash\"", "name: \" Padded Site \"",
                "name: \"Phase: 2\"", "name: Brücke Süd", "name: Øresund – Fase 2", "name: 東京タワー改修", "name: \"0042\"",
                "name: \"- dash\"", "name: He said \"hi\" & 'bye'", "description: \"null\"", "description: \"\"",
            ] {
                #expect(single.stdout.contains("    \(line)\n"), "\(line)")
            }
            #expect(single.stdout.contains("    name: \"Tab\\there\"\n"))
            #expect(single.stdout.contains("  - external_id: harbor-bridge-2\n    name: Harbor Bridge\n    id: prj_unkeyed0  #"))
            #expect(single.stdout.contains("  - external_id: harbor-bridge-4\n    name: Harbor Bridge\n    id: prj_unkeyed2  #"))
            #expect(single.stdout.contains("  - external_id: project-2\n    name: 東京タワー改修\n"))
            #expect(single.stdout.contains("    # members not managed: \(TestOrganization.email("gone")) is a member but not an active user\n"))
            try FileManager.default.createDirectory(at: org.directory.appendingPathComponent("single"), withIntermediateDirectories: true)
            try org.write(single.stdout, to: "single/all.yaml")

            // The first plan on either: only the adoptions, as updates of external_id.
            let expectedPlan = "Plan: 0 to create, \(adopted) to update, 0 to restore, 0 to archive; "
                + "members: 0 to add, 0 to change, 0 to remove; users: 0 to update."
            for path in ["out", "single"] {
                let plan = try await org.run(["plan", path, "--detailed-exitcode"] + Self.unpaced)
                #expect(plan.status == 2, "\(path): \(plan.stderr)")
                #expect(plan.stdout.contains(expectedPlan), "\(path): \(plan.stdout)")
            }
            let json = try await org.run(["plan", "out", "--format", "json"] + Self.unpaced)
            #expect(json.status == 0, "\(json.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let changes = try #require(document["changes"] as? [[String: Any]])
            #expect(changes.count == adopted)
            for change in changes {
                #expect(change["action"] as? String == "update")
                let after = change["after"] as? [String: Any] ?? [:]
                let before = change["before"] as? [String: Any] ?? [:]
                #expect(Array(after.keys) == ["external_id"], "\(change)")
                #expect(before["external_id"] is NSNull, "\(change)")
            }

            let apply = try await org.run(["apply", "out", "--auto-approve"] + Self.unpaced)
            #expect(apply.status == 0, "\(apply.stderr)")
            for path in ["out", "single"] {
                let again = try await org.run(["plan", path, "--detailed-exitcode"] + Self.unpaced)
                #expect(again.status == 0, "\(path): \(again.stdout)\(again.stderr)")
                #expect(again.stdout.contains("No changes. Cogram matches the manifests."))
            }
            #expect(try org.project("harbor-bridge-3")?.id == "prj_unkeyed1")
            #expect(try org.project("padded-site")?.name == " Padded Site ")
            #expect(try org.project("oresund-fase-2")?.name == "Øresund – Fase 2")
            #expect(try org.project("project")?.name == "東京タワー改修")

            // Importing again writes the same external ids, now without pins; refuses to overwrite without --force.
            let refused = try await org.run(["import", "--out", "out", "--layout", "per-project"] + Self.unpaced)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("62 files to write already exist in out"), "\(refused.stderr)")
            let forced = try await org.run(["import", "--out", "out", "--layout", "per-project", "--force"] + Self.unpaced)
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(forced.stderr.contains("Imported 61 projects (6 archived), 9 users;"), "\(forced.stderr)")
            let clean = try await org.run(["plan", "out", "--detailed-exitcode"] + Self.unpaced)
            #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")

            // With a prefix: only nw- projects, and still nothing to do.
            let prefixed = try await org.run(["import", "--prefix", "nw-", "--out", "prefixed/all.yaml"] + Self.unpaced)
            #expect(prefixed.status == 0, "\(prefixed.stderr)")
            #expect(prefixed.stderr.contains("Imported 39 projects (6 archived), 9 users; left out: 1 deactivated user, 2 archived projects without an external_id, 22 projects outside the prefix \"nw-\"."), "\(prefixed.stderr)")
            let prefixedPlan = try await org.run(["plan", "prefixed", "--detailed-exitcode"] + Self.unpaced)
            #expect(prefixedPlan.status == 0, "\(prefixedPlan.stdout)\(prefixedPlan.stderr)")
        }
    }

    @Test func emptyMembershipsAndUnkeyedProjects() async throws {
        try await stopping(try await TestOrganization.start(projects: [
            .init(name: "Empty", externalID: "p-empty", members: []),
            .init(id: "prj_loose1", name: "Loose", members: [.init(email: TestOrganization.email("ana"), role: .owner)]),
        ], rateLimitPerMinute: Self.unpacedLimit)) { org in
            let plain = try await org.run(["import"] + Self.unpaced)
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(plain.stdout.contains("  - external_id: p-empty\n    name: Empty\n    # members not managed: none in Cogram"), "\(plain.stdout)")
            #expect(plain.stdout.contains("id: prj_loose1"))

            let flags = try await org.run(["import", "--manage-empty-members", "--skip-unkeyed"] + Self.unpaced)
            #expect(flags.status == 0, "\(flags.stderr)")
            #expect(flags.stdout.contains("  - external_id: p-empty\n    name: Empty\n    members: []\n"), "\(flags.stdout)")
            #expect(!flags.stdout.contains("prj_loose1"))
            #expect(flags.stderr.contains("left out: 1 deactivated user, 1 active project without an external_id."), "\(flags.stderr)")
        }
    }

    /// Two crews on several projects, a list used once, an empty membership, a former colleague and a project
    /// without an external_id.
    static func crewProjects() -> [SandboxSeed.Project] {
        func m(_ name: String, _ role: ProjectRole) -> SandboxSeed.Member { .init(email: TestOrganization.email(name), role: role) }
        let leads = [m("ana", .owner), m("ben", .editor)]
        let field = [m("diego", .editor), m("elif", .viewer), m("farah", .viewer)]
        return [
            .init(name: "Harbor Terminal", externalID: "nw-harbor", members: leads + field + [m("chloe", .viewer)]),
            .init(name: "Ferry Pier", externalID: "nw-pier", members: field + leads),
            .init(name: "Depot 2", externalID: "nw-depot", members: leads + [m("ivan", .viewer)]),
            .init(name: "Yard", externalID: "nw-yard", members: [m("chloe", .editor)] + field),
            .init(name: "Solo", externalID: "nw-solo", members: [m("ana", .viewer), m("chloe", .owner)]),
            .init(name: "Empty", externalID: "nw-empty", members: []),
            .init(name: "With a former colleague", externalID: "nw-gone", members: leads + [m("gone", .viewer)]),
            .init(id: "prj_loose", name: "Loose Site", members: leads + field),
        ]
    }

    /// `import --groups`, in one file and per project: the crews become groups that several projects use, and
    /// planning the output against the same organization shows no change.
    @Test func importGroupsRoundTripsToNoChanges() async throws {
        try await stopping(try await TestOrganization.start(projects: Self.crewProjects(), rateLimitPerMinute: Self.unpacedLimit)) { org in
            let summary = "Imported 7 projects, 7 users, 2 groups; left out: 1 deactivated user, 1 active project without an external_id.\n"

            let stdout = try await org.run(["import", "--groups", "--skip-unkeyed"] + Self.unpaced)
            #expect(stdout.status == 0, "\(stdout.stderr)")
            #expect(stdout.stderr == ImportEndToEndTests.organizationHint + summary)
            let text = stdout.stdout
            let names = text.split(separator: "\n").filter { $0.hasPrefix("  - name: ") }.map { $0.dropFirst("  - name: ".count) }
            #expect(names == ["ana-ben", "diego-elif-farah"], "\(text)")
            for name in names {
                let uses = text.components(separatedBy: "      - group: \(name)\n").count - 1
                #expect(uses >= 2, "\(name) is used by \(uses) projects")
            }
            let ana = TestOrganization.email("ana"), chloe = TestOrganization.email("chloe")
            #expect(text.contains("""
                  - external_id: nw-harbor
                    name: Harbor Terminal
                    members:
                      - group: ana-ben
                      - group: diego-elif-farah
                      - email: \(chloe)
                        role: viewer

                """), "\(text)")
            #expect(text.contains("    members:\n      - email: \(ana)\n        role: viewer\n      - email: \(chloe)\n        role: owner\n"))
            #expect(text.contains("    # members not managed: \(TestOrganization.email("gone")) is a member but not an active user\n"))
            let again = try await org.run(["import", "--groups", "--skip-unkeyed"] + Self.unpaced)
            #expect(again.stdout == text, "the same organization gives the same bytes")

            // One file.
            let single = try await org.run(["import", "--groups", "--skip-unkeyed", "--out", "single/all.yaml"] + Self.unpaced)
            #expect(single.status == 0, "\(single.stderr)")
            #expect(try String(contentsOf: org.directory.appendingPathComponent("single/all.yaml"), encoding: .utf8).contains("\ngroups:\n"))
            try await Self.expectModelineResolves(in: org.directory.appendingPathComponent("single"), file: "all.yaml")
            // Per project, with the empty membership managed.
            let split = try await org.run(["import", "--groups", "--skip-unkeyed", "--manage-empty-members", "--layout", "per-project", "--out", "split"] + Self.unpaced)
            #expect(split.status == 0, "\(split.stderr)")
            #expect(split.stderr == ImportEndToEndTests.organizationHint + summary)
            let files = try FileManager.default.contentsOfDirectory(atPath: org.directory.appendingPathComponent("split").path).sorted()
            #expect(files == [
                "cogram-manifest.v1.schema.json", "groups.yaml", "nw-depot.yaml", "nw-empty.yaml", "nw-gone.yaml",
                "nw-harbor.yaml", "nw-pier.yaml", "nw-solo.yaml", "nw-yard.yaml", "organization.yaml",
            ])
            let groupsFile = try String(contentsOf: org.directory.appendingPathComponent("split/groups.yaml"), encoding: .utf8)
            #expect(groupsFile.contains("groups:\n  - name: ana-ben\n    members:\n      - email: \(ana)\n        role: owner\n"), "\(groupsFile)")
            let pier = try String(contentsOf: org.directory.appendingPathComponent("split/nw-pier.yaml"), encoding: .utf8)
            #expect(pier.hasSuffix("    members:\n      - group: ana-ben\n      - group: diego-elif-farah\n"), "\(pier)")
            let empty = try String(contentsOf: org.directory.appendingPathComponent("split/nw-empty.yaml"), encoding: .utf8)
            #expect(empty.hasSuffix("    members: []\n"))

            for path in ["single", "split"] {
                let plan = try await org.run(["plan", path, "--detailed-exitcode"] + Self.unpaced)
                #expect(plan.status == 0, "\(path): \(plan.stdout)\(plan.stderr)")
                #expect(plan.stdout.contains("No changes. Cogram matches the manifests."), "\(path): \(plan.stdout)")
                let validate = try await org.run(["validate", path])
                #expect(validate.status == 0, "\(path): \(validate.stderr)")
                #expect(validate.stderr.isEmpty, "\(path): no warning, such as a group that no project uses: \(validate.stderr)")
                #expect(validate.stdout.hasSuffix(", 7 users, 2 groups.\n"), "\(path): \(validate.stdout)")
            }

            // With the unkeyed project adopted: it shares both crews, and only its adoption is planned.
            let adopting = try await org.run(["import", "--groups", "--out", "adopt/all.yaml"] + Self.unpaced)
            #expect(adopting.status == 0, "\(adopting.stderr)")
            let adoptText = try String(contentsOf: org.directory.appendingPathComponent("adopt/all.yaml"), encoding: .utf8)
            #expect(adoptText.contains("  - external_id: loose-site\n    name: Loose Site\n    id: prj_loose  #"), "\(adoptText)")
            let plan = try await org.run(["plan", "adopt", "--detailed-exitcode"] + Self.unpaced)
            #expect(plan.status == 2, "\(plan.stderr)")
            #expect(plan.stdout.contains("Plan: 0 to create, 1 to update, 0 to restore, 0 to archive; members: 0 to add, 0 to change, 0 to remove; users: 0 to update."), "\(plan.stdout)")
            let apply = try await org.run(["apply", "adopt", "--auto-approve"] + Self.unpaced)
            #expect(apply.status == 0, "\(apply.stderr)")
            let clean = try await org.run(["plan", "adopt", "--detailed-exitcode"] + Self.unpaced)
            #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
            #expect(try org.members("loose-site").count == 5)
        }
    }

    @Test func usageErrors() async throws {
        let perProject = try await Binary.run(["import", "--layout", "per-project"])
        #expect(perProject.status == 64)
        #expect(perProject.stderr.contains("--layout per-project writes several files"))
        let prefix = try await Binary.run(["import", "--prefix", "a b"])
        #expect(prefix.status == 64)
    }
}
