import CogramAPI

/// Every project, every user and the members of every project: what `access` and `drift` read, whatever the
/// manifests manage, so that the memberships no manifest manages can be counted.
public func readFullObservedState(client: some CogramClientProtocol, parallelism: Int) async throws -> ObservedState {
    let (projects, users) = try await readProjectsAndUsers(client: client)
    let members = try await forEachBounded(projects.map(\.id).sorted(), parallelism: parallelism) { id in
        try await client.listMembers(projectID: id)
    }
    return ObservedState(projects: projects, users: users, members: members)
}
