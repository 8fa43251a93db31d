/// A member's role within one project, ordered by what it allows: viewer < editor < owner.
///
/// The manifest states it, the planner compares it, the API sends it: one type from the YAML to the request body.
public enum ProjectRole: String, Codable, Sendable, Hashable, CaseIterable, PrivilegeOrdered {
    case owner
    case editor
    case viewer
}

/// A user's role within the organization, ordered by what it allows: guest < member < admin.
public enum OrganizationRole: String, Codable, Sendable, Hashable, CaseIterable, PrivilegeOrdered {
    case admin
    case member
    case guest
}

/// A role whose cases are declared from the one that allows most to the one that allows least; roles compare in
/// that order, so the declaration is the one place that ranks them.
public protocol PrivilegeOrdered: CaseIterable, Comparable {}

extension PrivilegeOrdered {
    public static func < (lhs: Self, rhs: Self) -> Bool {
        // Every case is in `allCases`; the fallbacks are never taken.
        guard let left = allCases.firstIndex(of: lhs), let right = allCases.firstIndex(of: rhs) else { return false }
        return left > right
    }
}
