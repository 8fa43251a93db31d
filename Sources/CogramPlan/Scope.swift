import CogramAPI
import CogramManifest

/// A plan limited to some projects (those a pull request changed): it reads the project and user lists and the
/// member lists of those projects only, plans their changes and the users section in full, and never archives
/// a project outside the scope. Drift in other projects is not looked at.
public struct ProjectScope: Sendable, Hashable {
    /// External ids: current ones, earlier ones (for projects removed from the manifests) and re-keyed-from ones.
    public var externalIDs: Set<String>
    /// What the scope was computed against, for messages ("changed since origin/main").
    public var description: String

    public init(externalIDs: Set<String>, description: String) {
        self.externalIDs = externalIDs
        self.description = description
    }

    /// How `notice` starts, so that renderings find it among the warnings.
    static let noticePrefix = "this plan is scoped to "

    /// The line that says the plan is scoped; recorded in the plan's warnings.
    public var notice: String {
        let count = externalIDs.count
        return Self.noticePrefix + "\(count) project\(count == 1 ? "" : "s") \(description); "
            + "drift in other projects is not checked (plan without --changed-since to check everything)"
    }

    /// The manifests with only the scoped projects; users, groups, policies and ownership kept whole.
    func scoped(_ desired: DesiredState) -> DesiredState {
        var scoped = desired
        scoped.projects = desired.projects.filter { externalIDs.contains($0.externalID) }
        return scoped
    }

    /// The Cogram projects whose external_id the scope names (a re-keyed project's earlier external_ids are in
    /// the scope too) or that a scoped manifest project adopts by id: all the plan may touch. Only these can
    /// be archived, so a scoped plan never archives a project outside its scope.
    func scoped(_ projects: [Project], desired scopedDesired: DesiredState) -> [Project] {
        let adopted = Set(scopedDesired.projects.compactMap(\.id))
        return projects.filter { project in
            adopted.contains(project.id) || project.externalID.map(externalIDs.contains) ?? false
        }
    }
}

/// `readObservedState` for a scoped plan: both lists in full, member lists of the scoped projects only.
public func readObservedState(
    desired: DesiredState, client: some CogramClientProtocol, scope: ProjectScope, parallelism: Int,
    progress: @escaping @Sendable (ObservedReadProgress) -> Void = { _ in }
) async throws -> ObservedState {
    let (projects, users) = try await readProjectsAndUsers(client: client, progress: progress)
    let scopedDesired = scope.scoped(desired)
    let matching = ProjectMatching(desired: scopedDesired, projects: scope.scoped(projects, desired: scopedDesired))
    var projectIDs: [String] = []
    for (index, project) in scopedDesired.projects.enumerated() {
        guard project.members != nil, !project.archived, let match = matching.matches[index] else { continue }
        projectIDs.append(match.id)
    }
    let members = try await readMemberLists(
        Array(Set(projectIDs)).sorted(), projects: projects.count, users: users.count, client: client,
        parallelism: parallelism, progress: progress)
    return ObservedState(projects: projects, users: users, members: members)
}

/// `makePlan` limited to `scope`. The archive cap is measured against every managed active project, as in a
/// full plan; the member-removal cap against the memberships read (those of the scope).
public func makePlan(desired: DesiredState, observed: ObservedState, scope: ProjectScope, options: PlanOptions) -> Plan {
    let scopedDesired = scope.scoped(desired)
    var scopedObserved = observed
    scopedObserved.projects = scope.scoped(observed.projects, desired: scopedDesired)
    var plan = makePlan(desired: scopedDesired, observed: scopedObserved, options: options)
    let prefix = desired.externalIDPrefix
    plan.inventory.managedActiveProjects = observed.projects.filter { project in
        project.status == .active && project.externalID.map { prefix.map($0.hasPrefix) ?? true } ?? false
    }.count
    plan.inventory.projects = observed.projects.count
    plan.safetyViolations = safetyViolations(plan: plan, options: options)
    plan.warnings.insert(scope.notice, at: 0)
    return plan
}
