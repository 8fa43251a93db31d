import CogramAPI
import CogramManifest

/// `policies.guest_max_role` for the members whose organization role only Cogram knows: users that no manifest
/// gives a role (the loader checks those it makes guests). Each violation is an error at the member's manifest
/// entry (for a member a group brought in, the group's entry), so that nothing is applied.
public func guestPolicyErrors(desired: DesiredState, users: [User]) -> [Diagnostic] {
    guard let allowed = desired.policies?.guestMaxRole else { return [] }
    let roleInManifest = Set(desired.users.filter { $0.role != nil }.map(\.normalizedEmail))
    let guests = Set(users.filter { $0.role == .guest }.map { normalizeEmail($0.email) }).subtracting(roleInManifest)
    guard !guests.isEmpty else { return [] }
    var errors: [Diagnostic] = []
    for project in desired.projects where !project.archived {
        for member in project.members ?? [] where member.role > allowed && guests.contains(member.normalizedEmail) {
            errors.append(Diagnostic(
                at: member.location,
                Policies.guestMessage(
                    email: member.email, role: member.role, project: project.externalID, group: member.group, allowed: allowed)))
        }
    }
    return errors
}
