import CogramAPI
import CogramManifest

/// A change whose precondition no longer holds: Cogram moved since the plan was made.
public struct PreconditionFailure: Sendable, Hashable, CustomStringConvertible {
    public var address: String
    public var expected: String
    public var found: String

    public init(address: String, expected: String, found: String) {
        self.address = address
        self.expected = expected
        self.found = found
    }

    public var description: String { "\(address): the plan expected \(expected), Cogram now has \(found)" }
}

/// Re-reads what the plan's changes touch and returns every precondition that no longer holds
/// (empty: the plan is still exactly right).
///
/// Projects are read one by one (`getProject`, or the `external_id` filter for creates) or with one full
/// `listProjects(status: .all)`, whichever takes fewer requests given the number of projects the plan saw;
/// users likewise (`listUsers(email:)` per user or one full list); members with one list per touched project.
public func checkPreconditions(
    plan: Plan, client: some CogramClientProtocol, parallelism: Int = 8
) async throws -> [PreconditionFailure] {
    var projectIDs: Set<String> = []
    var absentExternalIDs: Set<String> = []
    var memberProjectIDs: Set<String> = []
    var userEmails: Set<String> = []
    for change in plan.changes {
        switch change.precondition {
        case .projectAbsent(let externalID): absentExternalIDs.insert(externalID)
        case .project: if let id = change.target.projectID { projectIDs.insert(id) }
        case .member, .memberAbsent: if let id = change.target.projectID { memberProjectIDs.insert(id) }
        case .user: if let email = change.target.email { userEmails.insert(email) }
        }
    }

    // MARK: Read
    /// Requests for a full list of `count` items, at the client's 100 items a page.
    func fullListCost(_ count: Int) -> Int { max(1, (count + 99) / 100) }
    var projectsByID: [String: Project] = [:]
    var projectsByExternalID: [String: Project] = [:]
    if projectIDs.isEmpty && absentExternalIDs.isEmpty {
        // nothing to read
    } else if fullListCost(plan.inventory.projects) <= projectIDs.count + absentExternalIDs.count {
        for project in try await client.listProjects(status: .all, externalID: nil) {
            projectsByID[project.id] = project
            if let e = project.externalID { projectsByExternalID[e] = project }
        }
    } else {
        let byID = try await forEachBounded(projectIDs.sorted(), parallelism: parallelism) { id -> Project? in
            do { return try await client.getProject(id: id) } catch where apiStatus(error) == 404 { return nil }
        }
        projectsByID = byID.compactMapValues { $0 }
        let byExternalID = try await forEachBounded(absentExternalIDs.sorted(), parallelism: parallelism) { externalID in
            try await client.listProjects(status: .all, externalID: externalID).first
        }
        projectsByExternalID = byExternalID.compactMapValues { $0 }
    }

    let members = try await forEachBounded(memberProjectIDs.sorted(), parallelism: parallelism) { id -> [Member]? in
        do { return try await client.listMembers(projectID: id) } catch where apiStatus(error) == 404 { return nil }
    }

    var usersByEmail: [String: User] = [:]
    if userEmails.isEmpty {
        // nothing to read
    } else if fullListCost(plan.inventory.users) <= userEmails.count {
        for user in try await client.listUsers(email: nil) { usersByEmail[normalizeEmail(user.email)] = user }
    } else {
        let found = try await forEachBounded(userEmails.sorted(), parallelism: parallelism) { email in
            try await client.listUsers(email: email).first
        }
        usersByEmail = found.compactMapValues { $0 }
    }

    // MARK: Compare
    var failures: [PreconditionFailure] = []
    func fail(_ change: Change, _ found: String) {
        failures.append(PreconditionFailure(address: change.address, expected: change.precondition.summary, found: found))
    }
    for change in plan.changes {
        switch change.precondition {
        case .projectAbsent(let externalID):
            if let project = projectsByExternalID[externalID] {
                fail(change, "project \(project.id) (\(project.status.rawValue)) with that external_id")
            }
        case .project(let updatedAt, let status):
            guard let id = change.target.projectID else { continue }
            guard let project = projectsByID[id] else {
                fail(change, "no project \(id)")
                continue
            }
            if project.updatedAt != updatedAt || project.status != status {
                fail(change, "\(project.status.rawValue), updated_at \(project.updatedAt)")
            }
        case .memberAbsent, .member:
            guard let projectID = change.target.projectID, let userID = change.target.userID else { continue }
            guard let list = members[projectID], let projectMembers = list else {
                fail(change, "no project \(projectID)")
                continue
            }
            let current = projectMembers.first { $0.userID == userID }
            if current?.role != change.precondition.memberRole {
                fail(change, current.map { "member with role \($0.role.rawValue)" } ?? "not a member")
            }
        case .user(let role, let externalID):
            guard let email = change.target.email else { continue }
            guard let user = usersByEmail[email] else {
                fail(change, "no user \(email)")
                continue
            }
            if user.role != role || user.externalID != externalID || user.status != .active {
                let deactivated = user.status == .active ? "" : " (deactivated)"
                fail(change, "role \(user.role.rawValue), external_id \(user.externalID.map(quoted) ?? "null")\(deactivated)")
            }
        }
    }
    return failures.sorted { ($0.address, $0.expected) < ($1.address, $1.expected) }
}

extension Precondition {
    /// The role a member precondition expects; nil for "not a member".
    var memberRole: ProjectRole? {
        if case .member(let role) = self { return role }
        return nil
    }
}
