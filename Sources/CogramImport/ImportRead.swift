import CogramAPI
import CogramPlan

/// How far `readOrganization` has got, for a progress line.
public enum ImportReadProgress: Sendable, Hashable {
    /// Projects and users are listed; `total` member lists are to be read.
    case listed(projects: Int, users: Int, memberLists: Int)
    /// `done` of `total` member lists are read.
    case members(done: Int, total: Int)
}

/// Reads what `makeImport` needs with list endpoints only: every project (active and archived), every user, and
/// the members of each active project the import keeps, at most `parallelism` member lists at a time.
public func readOrganization(
    client: some CogramClientProtocol, prefix: String?, skipUnkeyed: Bool = false, parallelism: Int,
    progress: @Sendable (ImportReadProgress) -> Void = { _ in }
) async throws -> ObservedState {
    let (projects, users) = try await readProjectsAndUsers(client: client)
    let ids = importedProjectIDsNeedingMembers(projects: projects, prefix: prefix, skipUnkeyed: skipUnkeyed)
    progress(.listed(projects: projects.count, users: users.count, memberLists: ids.count))
    let members = try await forEachBounded(
        ids, parallelism: parallelism, onResult: { progress(.members(done: $0, total: ids.count)) }
    ) { id in
        try await client.listMembers(projectID: id)
    }
    return ObservedState(projects: projects, users: users, members: members)
}
