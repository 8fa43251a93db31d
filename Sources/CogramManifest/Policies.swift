import Foundation

/// The `policies` section: organization rules every plan must satisfy. Each rule is optional; an absent one is
/// not checked. Violations name the rule as `policies.<key>`, so that `grep` finds it.
public struct Policies: Sendable, Hashable {
    /// Every active project whose members are managed has at least this many owners.
    public var minOwners: Int?
    /// Every active project whose members are managed has at most this many owners.
    public var maxOwners: Int?
    /// An organization guest holds at most this role in any project.
    public var guestMaxRole: ProjectRole?
    /// Every active manifest project has a non-empty description.
    public var requireDescription = false
    /// Every manifest project's external_id contains a match of this ICU regular expression (anchor it with
    /// `^…$` to match the whole id).
    public var externalIDPattern: String?
    public var location: SourceLocation

    /// The compiled `externalIDPattern`, or the reason it does not compile.
    public static func compile(_ pattern: String) -> Result<NSRegularExpression, PatternError> {
        do {
            return .success(try NSRegularExpression(pattern: pattern))
        } catch {
            return .failure(PatternError(pattern: pattern))
        }
    }

    public struct PatternError: Error, Sendable, Hashable {
        public var pattern: String
    }

    /// The message for a member whose role is above `guestMaxRole` while their organization role is guest.
    public static func guestMessage(email: String, role: ProjectRole, project: String, group: String?, allowed: ProjectRole) -> String {
        let via = group.map { " (through group '\($0)')" } ?? ""
        return "\(email) is a guest of the organization and \(role.rawValue) of project '\(project)'\(via); "
            + "policies.guest_max_role allows guests at most \(allowed.rawValue)"
    }
}
