import CogramManifest
import CogramPlan
import CogramTestSupport
@testable import CogramWorkspace
import Foundation
import Testing

/// A git repository in a temporary directory, driven through the same runner the library uses.
private struct Repository {
    let root: URL

    static func make() async throws -> Repository {
        let root = try makeTemporaryDirectory("cogram-workspace")
        let repository = Repository(root: root)
        try await repository.git("init", "-q", "-b", "main")
        try await repository.git("config", "user.email", "test@example.com")
        try await repository.git("config", "user.name", "Test")
        try await repository.git("config", "commit.gpgsign", "false")
        return repository
    }

    func write(_ path: String, _ text: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func commit(_ message: String) async throws {
        try await git("add", "-A")
        try await git("commit", "-q", "-m", message)
    }

    @discardableResult
    func git(_ arguments: String...) async throws -> Data {
        try await GitManifests.git(arguments, in: root.path)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

private func manifest(_ projects: [(externalID: String, name: String)]) -> String {
    var text = "version: 1\nprojects:\n"
    for project in projects {
        text += "  - external_id: \(project.externalID)\n    name: \(project.name)\n"
    }
    return text
}

private func load(_ path: String) throws -> DesiredState {
    let result = ManifestLoader().load(paths: [path])
    return try #require(result.desired, "\(result.diagnostics)")
}

@Suite struct GitManifestsTests {
    @Test func readsTheManifestsAtARefUnderTheWorkingTreesNames() async throws {
        let repository = try await Repository.make()
        defer { repository.remove() }
        try repository.write("org/projects.yaml", manifest([("web", "Web"), ("api", "API")]))
        try repository.write("org/notes.txt", "not a manifest")
        try await repository.commit("first")
        try repository.write("org/projects.yaml", manifest([("web", "Web site"), ("api", "API")]))

        let directory = repository.root.appendingPathComponent("org").path
        let base = try await GitManifests.load(paths: [directory], ref: "main")
        #expect(base.sources.map(\.path) == [directory + "/projects.yaml"])
        let desired = try #require(base.desired, "\(base.diagnostics)")
        #expect(desired.projects.map(\.name).sorted() == ["API", "Web"])
    }

    @Test func onlyTheChangedProjectIsInScope() async throws {
        let repository = try await Repository.make()
        defer { repository.remove() }
        try repository.write("projects.yaml", manifest([("web", "Web"), ("api", "API")]))
        try await repository.commit("first")
        try repository.write("projects.yaml", manifest([("web", "Web site"), ("api", "API")]))

        let path = repository.root.appendingPathComponent("projects.yaml").path
        let decision = try await ChangedSince.decide(ref: "main", paths: [path], desired: try load(path))
        guard case .scoped(let scope, let notice) = decision else {
            Issue.record("expected a scoped plan, got \(decision)")
            return
        }
        #expect(scope.externalIDs == ["web"])
        #expect(notice == "Scoped plan: 1 project changed since main (of 2 in the manifests); drift in other projects is not checked.")
    }

    /// Several organization roots: each organization's scope comes from its own root; an unchanged one gets an
    /// empty scope, one that is new since the ref a full plan.
    @Test func eachOrganizationIsScopedByItsOwnRoot() async throws {
        let repository = try await Repository.make()
        defer { repository.remove() }
        func organization(_ name: String, _ variable: String, _ projects: [(externalID: String, name: String)]) -> String {
            manifest(projects).replacingOccurrences(
                of: "version: 1\n", with: "version: 1\norganization:\n  name: \(name)\n  api_key_env: \(variable)\n")
        }
        try repository.write("orgs/us/org.yaml", organization("Acme US", "COGRAM_API_KEY_US", [("us-web", "Web"), ("us-api", "API")]))
        try repository.write("orgs/eu/org.yaml", organization("Acme EU", "COGRAM_API_KEY_EU", [("eu-web", "Web")]))
        try await repository.commit("two organizations")
        try repository.write("orgs/us/org.yaml", organization("Acme US", "COGRAM_API_KEY_US", [("us-web", "Web site"), ("us-api", "API")]))
        try repository.write("orgs/uk/org.yaml", organization("Acme UK", "COGRAM_API_KEY_UK", [("uk-web", "Web")]))

        let path = repository.root.appendingPathComponent("orgs").path
        let loaded = ManifestLoader().loadOrganizations(paths: [path])
        #expect(loaded.isValid, "\(loaded.diagnostics)")
        let decisions = try await ChangedSince.decide(ref: "main", paths: [path], organizations: loaded.organizations)
        #expect(decisions.map(\.organization) == ["Acme EU", "Acme UK", "Acme US"])
        #expect(decisions[0].decision.scope?.externalIDs == [], "unchanged: its users section only")
        #expect(decisions[0].decision.notice.hasPrefix("Acme EU: Scoped plan: 0 projects changed since main"), "\(decisions[0].decision)")
        #expect(decisions[1].decision == .full(notice: "Acme UK: Full plan: its folder holds no organization at main, so what changed since is unknown."))
        #expect(decisions[2].decision.scope?.externalIDs == ["us-web"])
        #expect(decisions[2].decision.notice.hasPrefix("Acme US: Scoped plan: 1 project changed since main (of 2 in the manifests)"))
    }

    @Test func manifestsThatDoNotLoadAtTheRefMeanAFullPlan() async throws {
        let repository = try await Repository.make()
        defer { repository.remove() }
        try repository.write("projects.yaml", "version: 1\nprojects: [\n")
        try await repository.commit("broken")
        try repository.write("projects.yaml", manifest([("web", "Web")]))

        let path = repository.root.appendingPathComponent("projects.yaml").path
        let decision = try await ChangedSince.decide(ref: "main", paths: [path], desired: try load(path))
        guard case .full(let notice) = decision else {
            Issue.record("expected a full plan, got \(decision)")
            return
        }
        #expect(notice.hasPrefix("Full plan: the manifests at main do not load ("), "\(notice)")
        #expect(notice.hasSuffix("so what changed since is unknown."), "\(notice)")
    }

    @Test func anUnknownRefNamesTheFetch() async throws {
        let repository = try await Repository.make()
        defer { repository.remove() }
        try repository.write("projects.yaml", manifest([("web", "Web")]))
        try await repository.commit("first")
        let path = repository.root.appendingPathComponent("projects.yaml").path
        for ref in ["origin/release", "--output=x"] {
            do {
                _ = try await GitManifests.load(paths: [path], ref: ref)
                Issue.record("\(ref) was resolved")
            } catch let error as WorkspaceError {
                #expect(error.description.hasPrefix("git ref '\(ref)' is not known in this repository."), "\(error)")
            }
        }
        do {
            _ = try await GitManifests.load(paths: [path], ref: "origin/release")
        } catch let error as WorkspaceError {
            #expect(error.description.contains("git fetch --depth=1 origin release"), "\(error)")
        }
    }

    @Test func aPathOutsideAnyRepositoryIsNamed() async throws {
        let directory = try makeTemporaryDirectory("cogram-workspace-bare")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try await GitManifests.load(paths: [directory.path], ref: "main")
            Issue.record("loaded from outside a repository")
        } catch let error as WorkspaceError {
            #expect(error.description.hasPrefix("--changed-since needs the manifests in a git repository: git rev-parse failed: "), "\(error)")
        }
    }

    @Test func largeOutputIsReadWhileInputIsWritten() async throws {
        // More than a pipe's buffer each way: a runner that wrote all input before reading would block.
        let repository = try await Repository.make()
        defer { repository.remove() }
        let input = Data(String(repeating: "line of input\n", count: 50_000).utf8)
        let output = try await GitManifests.git(["hash-object", "--stdin"], in: repository.root.path, input: input)
        #expect(output.count == 41)
        let big = String(repeating: "x", count: 300_000)
        try repository.write("big.yaml", big)
        try await repository.commit("big")
        let blob = try await GitManifests.git(["cat-file", "-p", "main:big.yaml"], in: repository.root.path)
        #expect(blob.count == 300_000)
    }
}
