import CogramAPI
import CogramManifest
import Foundation

/// Who has access to what, for access reviews (`cogramctl access`): one grant per (user, project) membership that
/// Cogram holds, each with the manifest entry behind it.
public struct AccessReport: Sendable, Hashable {
    /// The organization's name from the manifests; nil for an unnamed organization.
    public var organizationName: String?
    public var anchor: String?
    public var apiURL: String
    /// Where the key of this run came from, for the header; nil: `api_key_env` or `COGRAM_API_KEY`.
    public var keySource: String?
    /// The manifests' `api_key_env`, for the header's default key source.
    public var apiKeyEnv: String?
    /// Sorted by email, then project external_id, then project id; every user (of those asked for) at least once.
    public var grants: [AccessGrant]
    /// Emails of users that no manifest names (as a user, a member, a group member or offboarded), sorted.
    public var usersInNoManifest: [String]
    public var offboardedWithAccess: [OffboardedAccess]
    /// Entries that expire within the warning window, in file order.
    public var expiring: [ExpiringAccess]
    /// The day the manifests were judged as of, and the warning window in days.
    public var day: CalendarDay
    public var window: Int
}

/// One row of the report: a membership, or a user with no membership (the project fields nil).
public struct AccessGrant: Sendable, Hashable {
    public var email: String
    public var userID: String
    public var organizationRole: String
    public var projectExternalID: String?
    public var projectID: String?
    public var projectName: String?
    public var projectStatus: String?
    public var projectRole: String?
    /// nil for a user with no membership.
    public var managedBy: ManagedBy?
}

/// What stands behind a membership.
public enum ManagedBy: Sendable, Hashable, CustomStringConvertible {
    /// The manifest entry that grants it (through a group: the group's member entry); `file` is relative to the
    /// organization root (or to the path argument).
    case entry(file: String, line: Int)
    /// The project is not managed, or its members are not.
    case unmanaged
    /// A managed member list that no entry grants: the next apply removes it.
    case notInManifests

    public var description: String {
        switch self {
        case .entry(let file, let line): "\(file):\(line)"
        case .unmanaged: "unmanaged"
        case .notInManifests: "not in manifests"
        }
    }
}

/// An `offboarded:` person who still holds memberships.
public struct OffboardedAccess: Sendable, Hashable {
    public var email: String
    /// The projects they are still a member of: external_id, or the id for a project without one; sorted.
    public var projects: [String]
    /// Where the `offboarded:` entry is, relative like `ManagedBy.entry`.
    public var location: String
}

/// A manifest entry that expires within the warning window.
public struct ExpiringAccess: Sendable, Hashable {
    public var email: String
    /// The project's external_id; nil for an organization role.
    public var project: String?
    public var role: String
    public var expires: CalendarDay
    public var location: String
}

/// Which manifest paths are shown relative to what: the organization root when the manifests have one, else the
/// folder of each path argument (a directory itself, a file's folder).
public struct ManifestPathBase: Sendable, Hashable {
    public var directories: [String]

    public init(directories: [String]) {
        self.directories = directories.map { $0.hasSuffix("/") && $0.count > 1 ? String($0.dropLast()) : $0 }
    }

    /// The folders of path arguments: a directory itself, a file's folder.
    public init(pathArguments paths: [String]) {
        self.init(directories: paths.map { path in
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return path }
            let folder = (path as NSString).deletingLastPathComponent
            return folder.isEmpty ? "." : folder
        })
    }

    /// `file` relative to the first directory that holds it; as it is when none does.
    public func relative(_ file: String) -> String {
        for directory in directories {
            if directory == "." || directory.isEmpty {
                return file.hasPrefix("./") ? String(file.dropFirst(2)) : file
            }
            if file.hasPrefix(directory + "/") { return String(file.dropFirst(directory.count + 1)) }
        }
        return file
    }
}

/// Builds the access report from the manifests judged as of a day and a full read of the organization (every
/// project's member list). `users`, when given, limits every part to those emails (compared case-insensitively).
public func makeAccessReport(
    evaluation: AccessEvaluation, desired: DesiredState, observed: ObservedState, apiURL: String, base: ManifestPathBase,
    users only: Set<String>? = nil
) -> AccessReport {
    let only = only.map { Set($0.map(normalizeEmail)) }
    func wanted(_ email: String) -> Bool { only.map { $0.contains(normalizeEmail(email)) } ?? true }
    let state = evaluation.state

    // Per Cogram project id: the members the manifests grant as of the day, for projects whose members they manage.
    let matching = ProjectMatching(desired: state, projects: observed.projects)
    var granted: [String: [String: DesiredMember]] = [:]
    for (index, project) in state.projects.enumerated() {
        guard let members = project.members, !project.archived, let match = matching.matches[index] else { continue }
        var byEmail: [String: DesiredMember] = [:]
        for member in members { byEmail[member.normalizedEmail] = member }
        granted[match.id] = byEmail
    }

    // Each user's email is normalized once, not once per membership; only offboarded people's projects are
    // collected (the report lists no one else's).
    var usersByID: [String: (user: User, email: String)] = [:]
    for user in observed.users { usersByID[user.id] = (user, normalizeEmail(user.email)) }
    let offboardedEmails = Set(desired.offboarded.map(\.normalizedEmail))
    var grants: [AccessGrant] = []
    grants.reserveCapacity(observed.members.values.reduce(observed.users.count) { $0 + $1.count })
    var hasMembership = Set<String>()
    var projectsOf: [String: [String]] = [:]
    for project in observed.projects {
        guard let members = observed.members[project.id] else { continue }
        for member in members {
            let known = usersByID[member.userID]
            let user = known?.user
            let email = user?.email ?? member.email
            let normalized = known?.email ?? normalizeEmail(email)
            if offboardedEmails.contains(normalized) { projectsOf[normalized, default: []].append(project.externalID ?? project.id) }
            guard only.map({ $0.contains(normalized) }) ?? true else { continue }
            hasMembership.insert(member.userID)
            let managedBy: ManagedBy
            if let byEmail = granted[project.id] {
                managedBy = byEmail[normalized].map {
                    .entry(file: base.relative($0.location.file), line: $0.location.line)
                } ?? .notInManifests
            } else {
                managedBy = .unmanaged
            }
            grants.append(AccessGrant(
                email: email, userID: member.userID, organizationRole: user?.role.rawValue ?? "unknown",
                projectExternalID: project.externalID, projectID: project.id, projectName: project.name,
                projectStatus: project.status.rawValue, projectRole: member.role.rawValue, managedBy: managedBy))
        }
    }
    for user in observed.users where !hasMembership.contains(user.id) && wanted(user.email) {
        grants.append(AccessGrant(email: user.email, userID: user.id, organizationRole: user.role.rawValue))
    }
    grants = sortedByGrantOrder(grants)

    var named = Set<String>()
    for user in desired.users { named.insert(user.normalizedEmail) }
    for group in desired.groups { for member in group.members { named.insert(member.normalizedEmail) } }
    for project in desired.projects { for member in project.members ?? [] { named.insert(member.normalizedEmail) } }
    for person in desired.offboarded { named.insert(person.normalizedEmail) }
    let usersInNoManifest = observed.users.map(\.email).filter { !named.contains(normalizeEmail($0)) && wanted($0) }.sorted()

    let offboarded = desired.offboarded.compactMap { person -> OffboardedAccess? in
        guard wanted(person.email), let projects = projectsOf[person.normalizedEmail], !projects.isEmpty else { return nil }
        return OffboardedAccess(
            email: person.email, projects: projects.sorted(),
            location: "\(base.relative(person.location.file)):\(person.location.line)")
    }

    let expiring = expiringAccess(
        evaluation, groups: desired.groups, location: { "\(base.relative($0.file)):\($0.line)" }, wanted: wanted)

    return AccessReport(
        organizationName: desired.organization?.name, anchor: desired.organization?.anchor, apiURL: apiURL,
        apiKeyEnv: desired.organization?.apiKeyEnv, grants: grants, usersInNoManifest: usersInNoManifest, offboardedWithAccess: offboarded, expiring: expiring,
        day: evaluation.day, window: evaluation.window)
}

/// `grants` in `grantOrder`, equal grants in their given order. The keys are computed once: comparing grants
/// directly normalizes two emails and copies two grants on each of the n log n comparisons, which made sorting
/// the largest part of building a report of 200,000 memberships.
func sortedByGrantOrder(_ grants: [AccessGrant]) -> [AccessGrant] {
    let keys = grants.map { GrantSortKey($0) }
    let order = keys.indices.sorted { a, b in
        let (x, y) = (keys[a], keys[b])
        if x.email != y.email { return x.email < y.email }
        if x.inProject != y.inProject { return !x.inProject }
        if x.externalID != y.externalID { return x.externalID < y.externalID }
        if x.projectID != y.projectID { return x.projectID < y.projectID }
        return a < b
    }
    return order.map { grants[$0] }
}

private struct GrantSortKey {
    var email: String
    var inProject: Bool
    var externalID: String
    var projectID: String

    init(_ grant: AccessGrant) {
        email = normalizeEmail(grant.email)
        inProject = grant.projectID != nil
        externalID = grant.projectExternalID ?? ""
        projectID = grant.projectID ?? ""
    }
}

/// Email, then project external_id (a user's row without a project first), then project id.
func grantOrder(_ a: AccessGrant, _ b: AccessGrant) -> Bool {
    let left = (normalizeEmail(a.email), a.projectID == nil ? 0 : 1, a.projectExternalID ?? "", a.projectID ?? "")
    let right = (normalizeEmail(b.email), b.projectID == nil ? 0 : 1, b.projectExternalID ?? "", b.projectID ?? "")
    if left.0 != right.0 { return left.0 < right.0 }
    if left.1 != right.1 { return left.1 < right.1 }
    if left.2 != right.2 { return left.2 < right.2 }
    return left.3 < right.3
}
