import CogramAPI
import CogramSandbox
import Foundation
import Testing

/// `--changed-since GIT_REF`: a git repository built in the test, a commit, then changes in the working tree.
@Suite struct ChangedSinceEndToEndTests {
    static let count = 12

    /// p-0 … p-11 in Cogram, each with ana as owner and ben as editor, plus p-stray (managed, in no manifest).
    static func organization() async throws -> TestOrganization {
        let members: [SandboxSeed.Member] = [
            .init(email: TestOrganization.email("ana"), role: .owner), .init(email: TestOrganization.email("ben"), role: .editor),
        ]
        var projects = (0..<count).map { SandboxSeed.Project(name: "P\($0)", externalID: "p-\($0)", members: members) }
        projects.append(.init(name: "Stray", externalID: "p-stray"))
        return try await TestOrganization.start(projects: projects)
    }

    static let groups = """
        version: 1
        groups:
          - name: leads
            members:
              - {email: \(TestOrganization.email("ana")), role: owner}
              - {email: \(TestOrganization.email("ben")), role: editor}

        """

    /// One file per project (as `import --layout per-project` writes them); p-0 … p-3 use the group.
    static func projectFile(_ i: Int, name: String? = nil) -> String {
        let members = i < 4
            ? "      - group: leads\n"
            : "      - {email: \(TestOrganization.email("ana")), role: owner}\n      - {email: \(TestOrganization.email("ben")), role: editor}\n"
        return "version: 1\nprojects:\n  - external_id: p-\(i)\n    name: \(name ?? "P\(i)")\n    members:\n" + members
    }

    static func commitBase(_ org: TestOrganization) throws {
        try FileManager.default.createDirectory(at: org.directory.appendingPathComponent("manifests"), withIntermediateDirectories: true)
        try org.write(groups, to: "manifests/groups.yaml")
        for i in 0..<count { try org.write(projectFile(i), to: "manifests/p-\(i).yaml") }
        try git(["init", "-q", "-b", "main"], in: org.directory)
        try git(["add", "."], in: org.directory)
        try git(["-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-qm", "base"], in: org.directory)
    }

    static func git(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = directory
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CLIFailure("git \(arguments.joined(separator: " ")) failed") }
    }

    struct CLIFailure: Error { var message: String; init(_ m: String) { message = m } }

    @Test func scopedPlanReadsOnlyTheChangedProjectsAndAppliesLikeAnyOther() async throws {
        try await stopping(try await Self.organization()) { org in
            try Self.commitBase(org)
            // Full plan on the committed state: the only change is archiving p-stray.
            let full = try await org.run(["plan", "manifests"])
            #expect(full.status == 0, "\(full.stderr)")
            #expect(full.stdout.contains("project.p-stray"))

            // The working tree: p-5 renamed, p-6 removed, p-new added; p-7's file rewritten with the same content.
            try org.write(Self.projectFile(5, name: "Five Renamed"), to: "manifests/p-5.yaml")
            try FileManager.default.removeItem(at: org.directory.appendingPathComponent("manifests/p-6.yaml"))
            try org.write("version: 1\nprojects:\n  - {external_id: p-new, name: New, members: [{group: leads}]}\n", to: "manifests/p-new.yaml")
            try org.write(Self.projectFile(7) + "\n# a comment changes nothing\n", to: "manifests/p-7.yaml")
            // Drift outside the scope, which the scoped plan does not see: p-9 renamed in Cogram.
            try await org.withClient { client in
                guard let p9 = try org.project("p-9") else { return }
                _ = try await client.updateProject(id: p9.id, ProjectPatch(name: "Drifted"))
            }

            await org.sandbox.resetStats()
            let scoped = try await org.run(["plan", "manifests", "--changed-since", "HEAD", "--format", "json", "--out", "scoped.json"])
            #expect(scoped.status == 0, "\(scoped.stderr)")
            let stats = await org.sandbox.stats()
            // The lower bound: one page of projects, one of users, and the member list of p-5 (p-6 is archived
            // without reading its members; p-new does not exist yet).
            #expect(stats.total == 3, "\(stats)")
            #expect(scoped.stderr.hasPrefix("Scoped plan: 3 projects changed since HEAD (of 12 in the manifests); drift in other projects is not checked.\n"), "\(scoped.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(scoped.stdout.utf8)) as? [String: Any])
            let addresses = ((document["changes"] as? [[String: Any]]) ?? []).compactMap { $0["address"] as? String }.sorted()
            #expect(addresses == [
                "project.p-5", "project.p-6", "project.p-new",
                "project.p-new.member.\(TestOrganization.email("ana"))", "project.p-new.member.\(TestOrganization.email("ben"))",
            ])
            #expect(!addresses.contains("project.p-stray"), "a scoped plan archives nothing outside its scope")
            #expect((document["warnings"] as? [String])?.first?.hasPrefix("this plan is scoped to 3 projects changed since HEAD") == true)

            let apply = try await org.run(["apply", "scoped.json"])
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            #expect(try org.project("p-5")?.name == "Five Renamed")
            #expect(try org.project("p-6")?.status == .archived)
            #expect(try org.members("p-new").count == 2)
            #expect(try org.project("p-stray")?.status == .active)
            #expect(try org.project("p-9")?.name == "Drifted")
        }
    }

    @Test func aChangedGroupScopesEveryProjectThatUsesIt() async throws {
        try await stopping(try await Self.organization()) { org in
            try Self.commitBase(org)
            try org.write(Self.groups.replacingOccurrences(of: "role: editor", with: "role: viewer"), to: "manifests/groups.yaml")
            await org.sandbox.resetStats()
            let plan = try await org.run(["plan", "manifests", "--changed-since", "HEAD"])
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stderr.hasPrefix("Scoped plan: 4 projects changed since HEAD"), "\(plan.stderr)")
            // Two lists and the member lists of the four projects that use the group.
            #expect(await org.sandbox.stats().total == 2 + 4)
            let apply = try await org.run(["apply", "manifests", "--changed-since", "HEAD", "--auto-approve"])
            #expect(apply.status == 0, "\(apply.stderr)")
            for i in 0..<4 { #expect(try org.members("p-\(i)")[TestOrganization.email("ben")] == .viewer) }
            #expect(try org.members("p-4")[TestOrganization.email("ben")] == .editor)
        }
    }

    @Test func policiesChangeMakesAFullPlan() async throws {
        try await stopping(try await Self.organization()) { org in
            try Self.commitBase(org)
            try org.write("version: 1\npolicies:\n  min_owners: 1\n", to: "manifests/policies.yaml")
            let plan = try await org.run(["plan", "manifests", "--changed-since", "HEAD"])
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stderr.hasPrefix("Full plan: since HEAD, 'policies' changed, and every project must satisfy them.\n"), "\(plan.stderr)")
            #expect(plan.stdout.contains("project.p-stray"), "a full plan archives what no manifest lists")
        }
    }

    @Test func unknownRefNamesGitFetch() async throws {
        try await stopping(try await Self.organization()) { org in
            try Self.commitBase(org)
            let plan = try await org.run(["plan", "manifests", "--changed-since", "origin/main"])
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("git ref 'origin/main' is not known in this repository"), "\(plan.stderr)")
            #expect(plan.stderr.contains("git fetch --depth=1 origin main"))
        }
    }

    @Test func notARepositoryIsAnError() async throws {
        try await stopping(try await Self.organization()) { org in
            try org.write(Self.projectFile(0).replacingOccurrences(of: "      - group: leads\n", with: "      - {email: \(TestOrganization.email("ana")), role: owner}\n"))
            let plan = try await org.run(["plan", ".", "--changed-since", "HEAD"], environment: ["GIT_CEILING_DIRECTORIES": org.directory.deletingLastPathComponent().path])
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("--changed-since needs the manifests in a git repository"), "\(plan.stderr)")
        }
    }
}
