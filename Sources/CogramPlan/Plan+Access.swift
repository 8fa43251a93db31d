import CogramAPI
import CogramManifest

// MARK: - The plan by person

/// One person's access changes in a plan: the plan by person that every rendering shows before the object-level
/// changes, so that a reviewer sees who gains, loses or changes which access.
public struct PersonAccess: Sendable, Hashable {
    /// Lower-case, as in addresses.
    public var email: String
    /// The organization role first, then projects by external_id (projects without one last, by id).
    public var changes: [AccessChange]
}

/// One access change: a project membership added, removed or given another role, or an organization role changed.
public struct AccessChange: Sendable, Hashable {
    public enum Scope: String, Sendable, Hashable {
        case project, organization
    }

    public var scope: Scope
    /// The project's external_id; nil for an organization role and for a project without one.
    public var project: String?
    /// The project's Cogram id; nil for an organization role and for a project the plan creates.
    public var projectID: String?
    public var projectName: String?
    /// The role before (as Cogram has it), nil when the person gains access.
    public var from: String?
    /// The role after, nil when the person loses access.
    public var to: String?
    /// The entry behind the change; `.manifest` without a location for plans saved before causes were recorded.
    public var cause: AccessCause
    /// The change's address, for the renderings.
    public var address: ChangeAddress
    /// Whether it removes access or lowers a role (see `Change.lowersAccess`).
    public var isDestructive: Bool
}

extension Plan {
    /// The plan by person, sorted by email; derived from the changes (never stored), like `summary`.
    public var access: [PersonAccess] {
        var byEmail: [String: [AccessChange]] = [:]
        for change in changes {
            guard let access = change.accessChange, let email = change.address.email else { continue }
            byEmail[email, default: []].append(access)
        }
        return byEmail.keys.sorted().map { email in
            PersonAccess(email: email, changes: byEmail[email]!.sorted(by: accessOrder))
        }
    }

    /// `destructive` for CI: the plan archives a project, removes a membership, or lowers a project or organization
    /// role.
    public var isDestructive: Bool {
        changes.contains { $0.action == .archive || $0.action == .removeMember || $0.lowersAccess }
    }

    /// `access-removed` for CI: memberships removed (offboarding and expiry included; archives are not counted).
    public var accessRemovedCount: Int { summary.removeMember }
}

private func accessOrder(_ a: AccessChange, _ b: AccessChange) -> Bool {
    func key(_ c: AccessChange) -> (Int, Int, String, String) {
        (c.scope == .organization ? 0 : 1, c.project == nil ? 1 : 0, c.project ?? "", c.projectID ?? "")
    }
    return key(a) < key(b)
}

extension Change {
    /// The change seen as an access change; nil for project changes and user changes that set no role.
    public var accessChange: AccessChange? {
        let from: String?, to: String?
        let scope: AccessChange.Scope
        switch edit {
        case .addMember(let role):
            (scope, from, to) = (.project, nil, role.rawValue)
        case .updateMember(let old, let new):
            (scope, from, to) = (.project, old.rawValue, new.rawValue)
        case .removeMember(let old):
            (scope, from, to) = (.project, old.rawValue, nil)
        case .updateUser(let fields):
            guard let new = fields.after.role else { return nil }
            (scope, from, to) = (.organization, fields.before.role?.rawValue, new.rawValue)
        default:
            return nil
        }
        // Plans saved before causes were recorded: offboarding is still known by its reason.
        let cause = cause ?? AccessCause(isOffboarding ? .offboarded : .manifest)
        var project: String?
        if case .member(.externalID(let externalID), _) = address.kind { project = externalID }
        return AccessChange(
            scope: scope, project: project, projectID: scope == .project ? target.projectID : nil,
            projectName: scope == .project ? projectName : nil, from: from, to: to, cause: cause, address: address,
            isDestructive: action == .removeMember || lowersAccess)
    }

    /// A project or organization role lowered (orders in `Roles.swift`); a role cogramctl does not know counts as
    /// higher than any, so changing it counts as lowered.
    public var lowersAccess: Bool {
        switch edit {
        case .updateMember(let from, let to):
            guard let known = from.known else { return true }
            return to < known
        case .updateUser(let fields):
            guard let to = fields.after.role else { return false }
            guard let known = fields.before.role?.known else { return true }
            return to < known
        default:
            return false
        }
    }
}

extension ExpiryEntry {
    /// The cause of the change an expired entry makes.
    var cause: AccessCause { AccessCause(.expired, at: location, expires: expires) }
}

// MARK: - Expiring entries

/// The entries of `evaluation` that expire within its window, one per person (a group reference once for each
/// member of the group), in file order; `groups` are the manifests' groups as written. Shared by the plan's
/// `expiring` and the access report's.
func expiringAccess(
    _ evaluation: AccessEvaluation, groups: [DesiredGroup], location: (SourceLocation) -> String,
    wanted: (String) -> Bool = { _ in true }
) -> [ExpiringAccess] {
    var groupsByName: [String: DesiredGroup] = [:]
    for group in groups { groupsByName[group.name] = group }
    var expiring: [ExpiringAccess] = []
    for entry in evaluation.expiring {
        let written = location(entry.location)
        if let email = entry.email {
            guard wanted(email) else { continue }
            expiring.append(ExpiringAccess(
                email: email, project: entry.kind == .user ? nil : entry.project, role: entry.role ?? "unknown",
                expires: entry.expires, location: written))
        } else if let name = entry.group, let group = groupsByName[name] {
            // A group reference expires for every member of the group.
            for member in group.members where wanted(member.email) {
                expiring.append(ExpiringAccess(
                    email: member.email, project: entry.project, role: entry.role ?? member.role.rawValue,
                    expires: entry.expires, location: written))
            }
        }
    }
    return expiring
}

extension ExpiringAccess: Codable {
    enum CodingKeys: String, CodingKey {
        case email, project, role, expires, location
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let day = try c.decode(String.self, forKey: .expires)
        guard let expires = CalendarDay(parsing: day) else {
            throw DecodingError.dataCorruptedError(forKey: .expires, in: c, debugDescription: "not a YYYY-MM-DD date")
        }
        self.init(
            email: try c.decode(String.self, forKey: .email), project: try c.decodeIfPresent(String.self, forKey: .project),
            role: try c.decode(String.self, forKey: .role), expires: expires,
            location: try c.decode(String.self, forKey: .location))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(email, forKey: .email)
        try c.encode(project, forKey: .project)
        try c.encode(role, forKey: .role)
        try c.encode(expires.description, forKey: .expires)
        try c.encode(location, forKey: .location)
    }
}

// MARK: - JSON

extension PersonAccess: Encodable {
    enum CodingKeys: String, CodingKey {
        case email, changes
    }
}

extension AccessChange: Encodable {
    enum CodingKeys: String, CodingKey {
        case scope, project, from, to, reason, location, expires
        case projectID = "project_id"
        case projectName = "project_name"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(scope.rawValue, forKey: .scope)
        try c.encode(project, forKey: .project)
        try c.encode(projectID, forKey: .projectID)
        try c.encode(projectName, forKey: .projectName)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encode(cause.reason.description, forKey: .reason)
        try c.encode(cause.location, forKey: .location)
        try c.encode(cause.expires?.description, forKey: .expires)
    }
}
