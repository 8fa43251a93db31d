import CogramAPI
import CogramManifest
import CogramPlan

/// What `cogramctl import` writes: the organization as manifests would state it, so that the first plan on
/// them shows nothing but the adoption of projects that had no external_id.
///
/// Built by `makeImport` (the only place these values are made) from what the list endpoints returned (an `ObservedState`); a pure value, sorted
/// (users and members by email, projects by external_id), so that the same organization always renders to
/// the same bytes.
public struct ImportedOrganization: Sendable, Hashable {
    public var prefix: String?
    /// Active users, by email.
    public var users: [ImportedUser]
    /// By external_id.
    public var projects: [ImportedProject]
    public var leftOut: ImportLeftOut
    /// The groups that `proposeGroups()` found, by name; nil when none were asked for.
    public var groups: [ImportedGroup]?
    /// Written as `organization.name` when given (`--organization-name`); nil writes no `organization:` section.
    public var organizationName: String?
    /// The id of the active admin with the smallest id (compared as bytes): `organization.anchor`.
    public var anchor: String?
    /// `organization.api_key_env`, written only with a name.
    public var apiKeyEnv: String?

    public var archivedCount: Int { projects.filter(\.archived).count }
    public var adoptedCount: Int { projects.filter { $0.adoptID != nil }.count }
}

/// A user entry: role always, external_id when Cogram has one.
public struct ImportedUser: Sendable, Hashable {
    public var email: String
    public var role: OrganizationRole
    public var externalID: String?
}

/// A project entry.
public struct ImportedProject: Sendable, Hashable {
    public var externalID: String
    public var name: String
    /// Written when Cogram has one; a null description is left out (absent = not managed), so that the plan
    /// shows no change either way.
    public var description: String?
    /// The Cogram id to adopt, for a project that had no external_id (`externalID` was generated).
    public var adoptID: String?
    public var archived = false
    /// The whole membership, by email; nil when it is left unmanaged (archived projects, or members that a
    /// manifest cannot list — see `unlistableMembers`).
    public var members: [ImportedMember]?
    /// Emails of members who are not active users: listing them would be a plan error and leaving them out would
    /// remove them, so the project's membership is left unmanaged.
    public var unlistableMembers: [String] = []
    /// Cogram lists no members and `members` is left out, so that members added later in the app stay.
    public var hasNoMembers = false
    /// Names of the proposed groups that `members` is written with (see `ImportedOrganization.proposeGroups()`).
    public var groups: [String] = []
    /// Normalized emails of the members that `groups` bring in; the others are written as `email` entries.
    var emailsFromGroups: Set<String> = []
}

public struct ImportedMember: Sendable, Hashable {
    public var email: String
    public var role: ProjectRole
}

/// What the import did not write, for the closing comment and the summary line.
public struct ImportLeftOut: Sendable, Hashable {
    public var deactivatedUsers = 0
    /// Nothing could keep them archived: without an external_id a manifest cannot name them (and apply never
    /// touches them).
    public var archivedWithoutExternalID = 0
    /// Not managed under `ownership.external_id_prefix`.
    public var outsidePrefix = 0
    /// External ids a manifest cannot hold (white space, too long); plan would archive these projects.
    public var unusableExternalIDs: [String] = []
    /// Projects written without `members` because of `ImportedProject.unlistableMembers`.
    public var unmanagedMemberships = 0
    /// Active projects without an external_id, left out on request (`skipUnkeyed`) instead of adopted.
    public var unkeyed = 0

    public var isEmpty: Bool { self == ImportLeftOut() }
}

// MARK: - Building the import

/// How the import treats one Cogram project.
enum ImportDisposition: Equatable {
    /// Written under its own external_id.
    case keyed
    /// Active, no external_id: written with `id:` and a generated external_id.
    case adopted
    case leftOutArchivedWithoutExternalID
    case leftOutUnkeyed
    case leftOutOutsidePrefix
    case leftOutUnusableExternalID

    init(_ project: Project, prefix: String?, skipUnkeyed: Bool) {
        guard let externalID = project.externalID else {
            if project.status == .archived {
                self = .leftOutArchivedWithoutExternalID
            } else {
                self = skipUnkeyed ? .leftOutUnkeyed : .adopted
            }
            return
        }
        if !OwnershipRule.manages(externalID: externalID, prefix: prefix) {
            self = .leftOutOutsidePrefix
        } else if !ExternalIDRule.isValid(externalID) {
            self = .leftOutUnusableExternalID
        } else {
            self = .keyed
        }
    }
}

/// Ids of the projects whose members the import writes: active projects that it keeps.
public func importedProjectIDsNeedingMembers(projects: [Project], prefix: String?, skipUnkeyed: Bool = false) -> [String] {
    projects.filter { project in
        guard project.status == .active else { return false }
        let disposition = ImportDisposition(project, prefix: prefix, skipUnkeyed: skipUnkeyed)
        return disposition == .keyed || disposition == .adopted
    }.map(\.id).sorted()
}

/// The manifests' view of `observed`: every input order gives the same result.
///
/// - `prefix`: manage only projects whose external_id starts with it (others are left out); generated external
///   ids start with it too.
/// - `manageEmptyMembers`: write `members: []` for a project without members. That makes its membership managed
///   and authoritative, so a member added in the app later would be removed by the next apply; by default such a
///   project is written without `members` and its membership stays unmanaged.
/// - `skipUnkeyed`: leave out active projects without an external_id instead of adopting them with `id:` and a
///   generated external_id.
/// - `proposeGroups`: write memberships that several projects share as groups (see `GroupProposal`).
public func makeImport(
    observed: ObservedState, prefix: String?, manageEmptyMembers: Bool = false, skipUnkeyed: Bool = false,
    proposeGroups: Bool = false, organizationName: String? = nil, apiKeyEnv: String? = nil
) -> ImportedOrganization {
    var leftOut = ImportLeftOut()
    let anchor = observed.users.filter { $0.status == .active && $0.role.known == .admin }.map(\.id)
        .min { $0.utf8.lexicographicallyPrecedes($1.utf8) }

    var activeEmails: Set<String> = []
    var users: [ImportedUser] = []
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
        users.append(ImportedUser(email: user.email, role: role, externalID: externalID))
    }
    users.sort { byEmail($0.email, $1.email) }

    var taken = Set(observed.projects.compactMap(\.externalID))
    var projects: [ImportedProject] = []
    var unkeyed: [Project] = []
    for project in observed.projects {
        switch ImportDisposition(project, prefix: prefix, skipUnkeyed: skipUnkeyed) {
        case .keyed:
            projects.append(imported(
                project, externalID: project.externalID!, observed: observed, activeEmails: activeEmails,
                manageEmptyMembers: manageEmptyMembers))
        case .adopted:
            unkeyed.append(project)
        case .leftOutArchivedWithoutExternalID:
            leftOut.archivedWithoutExternalID += 1
        case .leftOutUnkeyed:
            leftOut.unkeyed += 1
        case .leftOutOutsidePrefix:
            leftOut.outsidePrefix += 1
        case .leftOutUnusableExternalID:
            leftOut.unusableExternalIDs.append(project.externalID!)
        }
    }
    // The oldest project gets the plain slug, later ones -2, -3, …: stable as projects are added.
    unkeyed.sort { ($0.createdAt ?? "", $0.id) < ($1.createdAt ?? "", $1.id) }
    for project in unkeyed {
        let externalID = ImportSlug.uniqueExternalID(name: project.name, prefix: prefix ?? "", taken: &taken)
        var entry = imported(
            project, externalID: externalID, observed: observed, activeEmails: activeEmails,
            manageEmptyMembers: manageEmptyMembers)
        entry.adoptID = project.id
        projects.append(entry)
    }
    projects.sort { $0.externalID.utf8.lexicographicallyPrecedes($1.externalID.utf8) }
    leftOut.unusableExternalIDs.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    leftOut.unmanagedMemberships = projects.filter { !$0.unlistableMembers.isEmpty }.count
    var organization = ImportedOrganization(prefix: prefix, users: users, projects: projects, leftOut: leftOut)
    if let organizationName {
        organization.organizationName = organizationName
        organization.anchor = anchor
        organization.apiKeyEnv = apiKeyEnv
    }
    if proposeGroups { organization.proposeGroups() }
    return organization
}

private func imported(
    _ project: Project, externalID: String, observed: ObservedState, activeEmails: Set<String>,
    manageEmptyMembers: Bool
) -> ImportedProject {
    var entry = ImportedProject(externalID: externalID, name: project.name, description: project.description)
    if project.status == .archived {
        // `archived: true` manages the status only; the planner leaves an archived project's members alone.
        entry.archived = true
        return entry
    }
    guard let current = observed.members[project.id] else { return entry }
    if current.isEmpty, !manageEmptyMembers {
        entry.hasNoMembers = true
        return entry
    }
    // A member whose role cogramctl does not know cannot be listed either: listing the others would remove them.
    let unlistable = current.filter { !activeEmails.contains(normalizeEmail($0.email)) || $0.role.known == nil }.map(\.email)
    if !unlistable.isEmpty {
        entry.unlistableMembers = unlistable.sorted(by: byEmail)
        return entry
    }
    entry.members = current.compactMap { m in m.role.known.map { ImportedMember(email: m.email, role: $0) } }
        .sorted { byEmail($0.email, $1.email) }
    return entry
}

/// Case-insensitive email order, ties broken by the exact bytes, so that the order is total.
func byEmail(_ a: String, _ b: String) -> Bool {
    let (la, lb) = (normalizeEmail(a), normalizeEmail(b))
    if la != lb { return la.utf8.lexicographicallyPrecedes(lb.utf8) }
    return a.utf8.lexicographicallyPrecedes(b.utf8)
}
