import CogramAPI
import CogramManifest

/// What `cogramctl import` writes: the organization as manifests would state it, so that the first plan on
/// them shows nothing but the adoption of projects that had no external_id.
///
/// Built by `makeExport` from what the list endpoints returned (an `ObservedState`); a pure value, sorted
/// (users and members by email, projects by external_id), so that the same organization always renders to
/// the same bytes.
public struct OrganizationExport: Sendable, Hashable {
    public var prefix: String?
    /// Active users, by email.
    public var users: [ExportedUser]
    /// By external_id.
    public var projects: [ExportedProject]
    public var leftOut: ExportLeftOut

    public init(prefix: String?, users: [ExportedUser], projects: [ExportedProject], leftOut: ExportLeftOut) {
        self.prefix = prefix
        self.users = users
        self.projects = projects
        self.leftOut = leftOut
    }

    public var archivedCount: Int { projects.filter(\.archived).count }
    public var adoptedCount: Int { projects.filter { $0.adoptID != nil }.count }
}

/// A user entry: role always, external_id when Cogram has one.
public struct ExportedUser: Sendable, Hashable {
    public var email: String
    public var role: OrganizationRole
    public var externalID: String?

    public init(email: String, role: OrganizationRole, externalID: String?) {
        self.email = email
        self.role = role
        self.externalID = externalID
    }
}

/// A project entry.
public struct ExportedProject: Sendable, Hashable {
    public var externalID: String
    public var name: String
    /// Written when Cogram has one; a null description is left out (absent = not managed), so that the plan
    /// shows no change either way.
    public var description: String?
    /// The Cogram id to adopt, for a project that had no external_id (`externalID` was generated).
    public var adoptID: String?
    public var archived: Bool
    /// The whole membership, by email; nil when it is left unmanaged (archived projects, or members that a
    /// manifest cannot list — see `unlistableMembers`).
    public var members: [ExportedMember]?
    /// Emails of members who are not active users: listing them would be a plan error and leaving them out would
    /// remove them, so the project's membership is left unmanaged.
    public var unlistableMembers: [String]

    public init(
        externalID: String, name: String, description: String? = nil, adoptID: String? = nil, archived: Bool = false,
        members: [ExportedMember]? = nil, unlistableMembers: [String] = []
    ) {
        self.externalID = externalID
        self.name = name
        self.description = description
        self.adoptID = adoptID
        self.archived = archived
        self.members = members
        self.unlistableMembers = unlistableMembers
    }
}

public struct ExportedMember: Sendable, Hashable {
    public var email: String
    public var role: ProjectRole

    public init(email: String, role: ProjectRole) {
        self.email = email
        self.role = role
    }
}

/// What the import did not write, for the closing comment and the summary line.
public struct ExportLeftOut: Sendable, Hashable {
    public var deactivatedUsers = 0
    /// Nothing could keep them archived: without an external_id a manifest cannot name them (and apply never
    /// touches them).
    public var archivedWithoutExternalID = 0
    /// Not managed under `ownership.external_id_prefix`.
    public var outsidePrefix = 0
    /// External ids a manifest cannot hold (white space, too long); plan would archive these projects.
    public var unusableExternalIDs: [String] = []
    /// Projects written without `members` because of `ExportedProject.unlistableMembers`.
    public var unmanagedMemberships = 0

    public init() {}

    public var isEmpty: Bool { self == ExportLeftOut() }
}

// MARK: - Building the export

/// How the import treats one Cogram project.
enum ExportDisposition: Equatable {
    /// Written under its own external_id.
    case keyed
    /// Active, no external_id: written with `id:` and a generated external_id.
    case adopted
    case leftOutArchivedWithoutExternalID
    case leftOutOutsidePrefix
    case leftOutUnusableExternalID

    init(_ project: Project, prefix: String?) {
        guard let externalID = project.externalID else {
            self = project.status == .archived ? .leftOutArchivedWithoutExternalID : .adopted
            return
        }
        if let prefix, !externalID.hasPrefix(prefix) {
            self = .leftOutOutsidePrefix
        } else if !ExternalIDRule.isValid(externalID) {
            self = .leftOutUnusableExternalID
        } else {
            self = .keyed
        }
    }
}

/// Ids of the projects whose members the import writes: active projects that it keeps.
public func exportedProjectIDsNeedingMembers(projects: [Project], prefix: String?) -> [String] {
    projects.filter { project in
        guard project.status == .active else { return false }
        let disposition = ExportDisposition(project, prefix: prefix)
        return disposition == .keyed || disposition == .adopted
    }.map(\.id).sorted()
}

/// The manifests' view of `observed`: every input order gives the same export.
public func makeExport(observed: ObservedState, prefix: String?) -> OrganizationExport {
    var leftOut = ExportLeftOut()

    var activeEmails: Set<String> = []
    var users: [ExportedUser] = []
    for user in observed.users {
        guard user.status == .active else {
            leftOut.deactivatedUsers += 1
            continue
        }
        activeEmails.insert(normalizeEmail(user.email))
        // A role cogramctl does not know cannot be written in a manifest: the user's entry is left out, so that
        // the manifests do not manage that user (they can still be listed as a member).
        guard let role = user.role.known else { continue }
        let externalID = user.externalID.flatMap { $0.isEmpty ? nil : $0 }
        users.append(ExportedUser(email: user.email, role: role, externalID: externalID))
    }
    users.sort { byEmail($0.email, $1.email) }

    var taken = Set(observed.projects.compactMap(\.externalID))
    var projects: [ExportedProject] = []
    var unkeyed: [Project] = []
    for project in observed.projects {
        switch ExportDisposition(project, prefix: prefix) {
        case .keyed:
            projects.append(exported(project, externalID: project.externalID!, observed: observed, activeEmails: activeEmails))
        case .adopted:
            unkeyed.append(project)
        case .leftOutArchivedWithoutExternalID:
            leftOut.archivedWithoutExternalID += 1
        case .leftOutOutsidePrefix:
            leftOut.outsidePrefix += 1
        case .leftOutUnusableExternalID:
            leftOut.unusableExternalIDs.append(project.externalID!)
        }
    }
    // The oldest project gets the plain slug, later ones -2, -3, …: stable as projects are added.
    unkeyed.sort { ($0.createdAt ?? "", $0.id) < ($1.createdAt ?? "", $1.id) }
    for project in unkeyed {
        let externalID = ExportSlug.uniqueExternalID(name: project.name, prefix: prefix ?? "", taken: &taken)
        var entry = exported(project, externalID: externalID, observed: observed, activeEmails: activeEmails)
        entry.adoptID = project.id
        projects.append(entry)
    }
    projects.sort { $0.externalID.utf8.lexicographicallyPrecedes($1.externalID.utf8) }
    leftOut.unusableExternalIDs.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    leftOut.unmanagedMemberships = projects.filter { !$0.unlistableMembers.isEmpty }.count
    return OrganizationExport(prefix: prefix, users: users, projects: projects, leftOut: leftOut)
}

private func exported(
    _ project: Project, externalID: String, observed: ObservedState, activeEmails: Set<String>
) -> ExportedProject {
    var entry = ExportedProject(externalID: externalID, name: project.name, description: project.description)
    if project.status == .archived {
        // `archived: true` manages the status only; the planner leaves an archived project's members alone.
        entry.archived = true
        return entry
    }
    guard let current = observed.members[project.id] else { return entry }
    // A member whose role cogramctl does not know cannot be listed either: listing the others would remove them.
    let unlistable = current.filter { !activeEmails.contains(normalizeEmail($0.email)) || $0.role.known == nil }.map(\.email)
    if !unlistable.isEmpty {
        entry.unlistableMembers = unlistable.sorted(by: byEmail)
        return entry
    }
    entry.members = current.compactMap { m in m.role.known.map { ExportedMember(email: m.email, role: $0) } }
        .sorted { byEmail($0.email, $1.email) }
    return entry
}

/// Case-insensitive email order, ties broken by the exact bytes, so that the order is total.
func byEmail(_ a: String, _ b: String) -> Bool {
    let (la, lb) = (normalizeEmail(a), normalizeEmail(b))
    if la != lb { return la.utf8.lexicographicallyPrecedes(lb.utf8) }
    return a.utf8.lexicographicallyPrecedes(b.utf8)
}
