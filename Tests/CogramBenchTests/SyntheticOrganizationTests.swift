import CogramAPI
import CogramBench
import CogramManifest
import CogramPlan
import CogramSandbox
import Foundation
import Testing

@Suite struct SyntheticOrganizationTests {
    static let spec = OrganizationSpec(
        projects: 120, membersPerProject: 6, users: 40, changeFraction: 0.25, seed: 42, projectsPerFile: 50)

    @Test func sameSeedSameOutput() throws {
        let a = try SyntheticOrganization(spec: Self.spec)
        let b = try SyntheticOrganization(spec: Self.spec)
        #expect(a.manifests(variant: false) == b.manifests(variant: false))
        #expect(a.manifests(variant: true) == b.manifests(variant: true))
        #expect(a.sandboxSeed == b.sandboxSeed)
        #expect(a.changes == b.changes)
    }

    @Test func otherSeedOtherOutput() throws {
        var spec = Self.spec
        spec.seed = 43
        let a = try SyntheticOrganization(spec: Self.spec)
        let b = try SyntheticOrganization(spec: spec)
        #expect(a.manifests(variant: true) != b.manifests(variant: true))
    }

    @Test func filesAreSplit() throws {
        let files = try SyntheticOrganization(spec: Self.spec).manifests(variant: false).map(\.name)
        #expect(files == ["organization.yaml", "projects-0001.yaml", "projects-0002.yaml", "projects-0003.yaml"])
    }

    @Test(arguments: [false, true])
    func manifestsLoadWithoutDiagnostics(variant: Bool) throws {
        let organization = try SyntheticOrganization(spec: Self.spec)
        let result = ManifestLoader().load(sources: organization.sources(variant: variant))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let desired = try #require(result.desired)
        #expect(desired.projects.count == (variant ? organization.variant : organization.projects).count)
        #expect(desired.users.count == Self.spec.users)
        #expect(desired.externalIDPrefix == Self.spec.externalIDPrefix)
    }

    @Test(arguments: [0.0, 0.1, 0.25, 1.0])
    func changeFractionIsRespected(fraction: Double) throws {
        var spec = Self.spec
        spec.changeFraction = fraction
        let organization = try SyntheticOrganization(spec: spec)
        let changed = zip(organization.projects, organization.variant).filter { $0 != $1 }.count
        #expect(changed == Int((fraction * Double(spec.projects)).rounded()))
        #expect(organization.changes.changedProjects == changed)
        #expect(organization.variant.count == spec.projects + organization.changes.newProjects)
        #expect(organization.changes.newProjects == (fraction == 0 ? 0 : max(1, changed / 100)))
    }

    /// The variant against the base, diffed in memory, has exactly the changes the generator reports, and the
    /// base against itself has none.
    @Test func planMatchesTheChangeSummary() throws {
        let organization = try SyntheticOrganization(spec: Self.spec)
        let observed = organization.observedState()
        let base = try #require(ManifestLoader().load(sources: organization.sources(variant: false)).desired)
        let variant = try #require(ManifestLoader().load(sources: organization.sources(variant: true)).desired)
        #expect(makePlan(desired: base, observed: observed, options: PlanOptions()).changes.isEmpty)
        let plan = makePlan(desired: variant, observed: observed, options: PlanOptions())
        #expect(plan.errors.isEmpty)
        #expect(plan.safetyViolations.isEmpty)
        let c = organization.changes
        #expect(plan.changes.count == c.planChanges)
        let summary = PlanSummary(changes: plan.changes)
        #expect(summary.create == c.newProjects)
        #expect(summary.update == c.renames)
        #expect(summary.updateMember == c.roleChanges)
        #expect(summary.addMember == c.memberAdds + c.newProjectMembers)
        #expect(summary.removeMember == c.memberRemovals)
    }

    @Test func seedsASandboxDatabase() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let organization = try SyntheticOrganization(spec: Self.spec)
        try organization.seed(databasePath: path)
        let store = try SandboxStore(path: path)
        defer { try? store.close() }
        let projects = try store.allProjects(organization: Self.spec.organizationName)
        #expect(projects.map(\.externalID) == organization.projects.map(\.externalID))
        #expect(try store.allUsers(organization: Self.spec.organizationName).count == Self.spec.users)
        let first = try #require(projects.first)
        #expect(try store.members(organization: Self.spec.organizationName, projectID: first.id).map(\.email)
            == organization.projects[0].members.map(\.email))
    }

    @Test func invalidSpecsListEveryProblem() {
        let spec = OrganizationSpec(projects: -1, membersPerProject: 5, users: 3, changeFraction: 2)
        #expect(throws: GeneratorError.self) { try SyntheticOrganization(spec: spec) }
        do {
            try spec.validate()
        } catch {
            #expect(error.problems == [
                "--projects must not be negative", "--members (5) must not exceed --users (3)",
                "--change-fraction must be between 0 and 1",
            ])
        }
    }
}
