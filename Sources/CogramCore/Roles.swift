/// A member's role within one project, ordered by what it allows: viewer < editor < owner.
///
/// The manifest states it, the planner compares it, the API sends it: one type from the YAML to the request body.
public enum ProjectRole: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
    case owner
    case editor
    case viewer

    public static func < (lhs: ProjectRole, rhs: ProjectRole) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .editor: 1
        case .owner: 2
        }
    }
}

/// A user's role within the organization, ordered by what it allows: guest < member < admin.
public enum OrganizationRole: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
    case admin
    case member
    case guest

    public static func < (lhs: OrganizationRole, rhs: OrganizationRole) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .guest: 0
        case .member: 1
        case .admin: 2
        }
    }
}
