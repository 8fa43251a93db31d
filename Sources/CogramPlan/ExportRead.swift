import CogramAPI

/// How far `readOrganization` has got, for a progress line.
public enum ExportReadProgress: Sendable, Hashable {
    /// Projects and users are listed; `total` member lists are to be read.
    case listed(projects: Int, users: Int, memberLists: Int)
    /// `done` of `total` member lists are read.
    case members(done: Int, total: Int)
}

/// Reads what `makeExport` needs with list endpoints only: every project (active and archived), every user, and
/// the members of each active project the import keeps, at most `parallelism` member lists at a time.
public func readOrganization(
    client: some CogramClientProtocol, prefix: String?, parallelism: Int,
    progress: @Sendable (ExportReadProgress) -> Void = { _ in }
) async throws -> ObservedState {
    async let projectsRead = client.listProjects(status: .all, externalID: nil)
    async let usersRead = client.listUsers(email: nil)
    let projects = try await projectsRead
    let users = try await usersRead

    let ids = exportedProjectIDsNeedingMembers(projects: projects, prefix: prefix)
    progress(.listed(projects: projects.count, users: users.count, memberLists: ids.count))
    let members = try await withThrowingTaskGroup(of: (String, [Member]).self) { group in
        var results: [String: [Member]] = [:]
        var pending = ids.makeIterator()
        for _ in 0..<max(1, parallelism) {
            guard let id = pending.next() else { break }
            group.addTask { (id, try await client.listMembers(projectID: id)) }
        }
        while let (id, list) = try await group.next() {
            results[id] = list
            progress(.members(done: results.count, total: ids.count))
            if let next = pending.next() {
                group.addTask { (next, try await client.listMembers(projectID: next)) }
            }
        }
        return results
    }
    return ObservedState(projects: projects, users: users, members: members)
}
