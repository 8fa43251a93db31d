import CogramManifest
import Foundation
import CogramTestSupport
import Testing

/// examples/organizations: two organization roots in one repository, as the multi-organization workflow plans them.
@Suite struct OrganizationsExampleTests {
    @Test func twoRootsLoadAsTwoOrganizationsWithTheirOwnKeys() throws {
        let result = ManifestLoader().loadOrganizations(sources: try Repository.sources("examples/organizations"))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.organizations.map(\.name) == ["Northwind Build UK", "Northwind Build US"])
        #expect(result.organizations.map(\.organization?.apiKeyEnv) == ["COGRAM_API_KEY_NORTHWIND_UK", "COGRAM_API_KEY_NORTHWIND_US"])
        #expect(result.organizations.map(\.organization?.anchor) == ["usr_nwuk_0001", "usr_nwus_0001"])
        #expect(result.organizations.map { $0.desired.projects.count } == [2, 2])
    }
}

/// examples/ci/gitlab/organizations.gitlab-ci.yml, checked offline against examples/organizations: what the file
/// must say for GitLab to hand each organization its key and for apply to take only the reviewed plan set.
@Suite struct GitLabOrganizationsPipelineTests {
    static let file = "examples/ci/gitlab/organizations.gitlab-ci.yml"

    /// The file's top-level entries (jobs and settings) by name, each with its text without comment lines (YAML's
    /// and the scripts' own), so that what a comment mentions is not taken for what a job runs.
    static func sections() throws -> [String: String] {
        let text = try String(contentsOf: Repository.url(file), encoding: .utf8)
        var sections: [String: String] = [:]
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("#") { continue }
            if let match = line.wholeMatch(of: /([A-Za-z_.-]+):.*/) { current = String(match.output.1) }
            if let current { sections[current, default: ""] += line + "\n" }
        }
        return sections
    }

    @Test func everyRootsKeyVariableIsOneVariableAndNoJobSharesAKey() throws {
        let text = try String(contentsOf: Repository.url(Self.file), encoding: .utf8)
        let result = ManifestLoader().loadOrganizations(sources: try Repository.sources("examples/organizations"))
        let variables = result.organizations.compactMap(\.organization?.apiKeyEnv)
        #expect(variables.count == 2)
        let comments = text.split(separator: "\n").filter { $0.hasPrefix("#") }
            .map { $0.dropFirst().trimmingCharacters(in: .whitespaces) }
        for variable in variables {
            #expect(comments.contains { $0.hasPrefix(variable + " ") }, "\(variable) is not listed as a CI/CD variable")
        }
        // GitLab exports each variable under its own name: a key passed in another variable (the single-organization
        // COGRAM_API_KEY) would reach every organization.
        #expect(!text.contains("COGRAM_API_KEY="))
        #expect(!text.contains("$COGRAM_API_KEY"))
        #expect(!text.contains("COGRAM_READ_API_KEY"))
        #expect(try Self.sections()["variables"]?.contains("MANIFESTS: organizations") == true)
    }

    @Test func planSavesOnePlanSetAndNotesItsMarkdownWithASectionPerOrganization() throws {
        let plan = try #require(try Self.sections()["plan"])
        #expect(plan.contains(#"cogramctl plan "$MANIFESTS" --out plan.json"#))
        // --changed-since plans one organization only.
        #expect(!plan.contains("--changed-since"))
        #expect(plan.contains("cogramctl show plan.json --format markdown > plan.md"))
        #expect(plan.contains(#"$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"#))
        #expect(plan.contains("paths: [plan.json, plan.md]"))
        #expect(plan.contains(#"$CI_PIPELINE_SOURCE == "merge_request_event""#))
    }

    @Test func applyTakesOnlyTheReviewedPlanSetWithManifests() throws {
        let text = try String(contentsOf: Repository.url(Self.file), encoding: .utf8)
        let apply = try #require(try Self.sections()["apply"])
        // The plan job's artifact from the merge request's head pipeline, applied against the merged manifests.
        #expect(apply.contains(#"select(.name == "plan")"#))
        #expect(apply.contains("/artifacts/plan.json"))
        #expect(apply.contains(".head_pipeline.id"))
        #expect(apply.contains(#"cogramctl apply "$reviewed" --manifests "$MANIFESTS""#))
        #expect(apply.matches(of: /cogramctl apply/).count == 1)
        #expect(apply.contains("resource_group: cogram-production"))
        #expect(apply.contains("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"))
        // Never an unreviewed fallback (cli.md, "Saved plans, revised").
        #expect(!text.contains("--auto-approve"))
    }
}
