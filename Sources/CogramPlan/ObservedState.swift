import CogramAPI
import CogramManifest

/// What cogramctl read from Cogram: the input of `makePlan` beside the manifests.
public struct ObservedState: Sendable, Hashable {
    /// Every project, active and archived.
    public var projects: [Project]
    /// Every user, active and deactivated.
    public var users: [User]
    /// Members by project id, for the projects whose membership the manifests manage (and only those).
    public var members: [String: [Member]]

    public init(projects: [Project] = [], users: [User] = [], members: [String: [Member]] = [:]) {
        self.projects = projects
        self.users = users
        self.members = members
    }
}

/// How far reading Cogram has come, for progress output: the project and user lists first, then one member list
/// per project.
public enum ObservedReadProgress: Sendable, Hashable {
    /// The two lists read whole, each page by page.
    public enum List: String, Sendable, Hashable {
        case projects, users
    }

    /// A page of the project or user list read.
    case page(List, PageProgress)
    case listed(projects: Int, users: Int, memberLists: Int)
    case members(done: Int, total: Int)
}

/// Reads what `makePlan` needs, using list endpoints only: all projects, all users, and the members of each
/// existing project whose membership a manifest manages (limited to `targets` when given). Member lists are
/// read concurrently, at most `parallelism` at a time.
public func readObservedState(
    desired: DesiredState, client: some CogramClientProtocol, targets: Set<String>? = nil, parallelism: Int,
    progress: @escaping @Sendable (ObservedReadProgress) -> Void = { _ in }
) async throws -> ObservedState {
    let (projects, users) = try await readProjectsAndUsers(client: client, progress: progress)
    let matching = ProjectMatching(desired: desired, projects: projects)
    let targets = targets.map {
        resolveTargets($0, known: Set(desired.projects.map(\.externalID)).union(projects.compactMap(\.externalID))).ids
    }
    var projectIDs: [String] = []
    for (index, project) in desired.projects.enumerated() {
        guard project.members != nil, !project.archived,
              targets.map({ $0.contains(project.externalID) }) ?? true,
              let match = matching.matches[index] else { continue }
        projectIDs.append(match.id)
    }
    let members = try await readMemberLists(
        Array(Set(projectIDs)).sorted(), projects: projects.count, users: users.count, client: client,
        parallelism: parallelism, progress: progress)
    return ObservedState(projects: projects, users: users, members: members)
}

/// The member lists of `ids`, reporting progress after the lists and after each member list.
func readMemberLists(
    _ ids: [String], projects: Int, users: Int, client: some CogramClientProtocol, parallelism: Int,
    progress: @Sendable (ObservedReadProgress) -> Void
) async throws -> [String: [Member]] {
    progress(.listed(projects: projects, users: users, memberLists: ids.count))
    return try await forEachBounded(ids, parallelism: parallelism, onResult: { progress(.members(done: $0, total: ids.count)) }) { id in
        try await client.listMembers(projectID: id)
    }
}

/// Every project (active and archived) and every user, both lists read at once; `progress` is told of each page.
public func readProjectsAndUsers(
    client: some CogramClientProtocol, progress: @escaping @Sendable (ObservedReadProgress) -> Void = { _ in }
) async throws -> ([Project], [User]) {
    async let projects = client.listProjects(status: .all, externalID: nil, onPage: { progress(.page(.projects, $0)) })
    async let users = client.listUsers(email: nil, onPage: { progress(.page(.users, $0)) })
    return try await (projects, users)
}

/// Runs `work` for every key with at most `parallelism` calls in flight; the first error cancels the rest.
/// `onResult` is told how many keys are done after each one.
public func forEachBounded<Value: Sendable>(
    _ keys: [String], parallelism: Int, onResult: (_ done: Int) -> Void = { _ in },
    _ work: @escaping @Sendable (String) async throws -> Value
) async throws -> [String: Value] {
    try await withThrowingTaskGroup(of: (String, Value).self) { group in
        var results: [String: Value] = [:]
        var pending = keys.makeIterator()
        for _ in 0..<max(1, parallelism) {
            guard let key = pending.next() else { break }
            group.addTask { (key, try await work(key)) }
        }
        while let (key, value) = try await group.next() {
            results[key] = value
            onResult(results.count)
            if let next = pending.next() {
                group.addTask { (next, try await work(next)) }
            }
        }
        return results
    }
}

extension ObservedState {
    /// The `--verbose` line after a read: `Read Cogram with 12 requests (0 retries, 0 rate-limited): 3 projects, …`.
    public func readSummary(_ count: RequestCount) -> String {
        func plural(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        return "Read Cogram with \(plural(count.total, "request")) (\(count.retries) retries, \(count.rateLimited) rate-limited): "
            + "\(plural(projects.count, "project")), \(plural(users.count, "user")), member lists of \(plural(members.count, "project")).\n"
    }
}
