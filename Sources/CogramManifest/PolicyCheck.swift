import Foundation

/// The policies that can be checked offline, each violation an error at the project's location naming the
/// policy key. `guest_max_role` is checked here for users whom a manifest makes guests; for users whose
/// organization role only Cogram knows, the planner checks it.
enum PolicyCheck {
    static func check(_ desired: DesiredState, diagnostics: inout [Diagnostic]) {
        guard let policies = desired.policies else { return }
        let pattern: NSRegularExpression? = policies.externalIDPattern.flatMap { try? Policies.compile($0).get() }
        let guests = Set(desired.users.filter { $0.role == .guest }.map(\.normalizedEmail))
        for project in desired.projects {
            func violation(_ message: String) {
                diagnostics.append(Diagnostic(.error, at: project.location, message))
            }
            if let pattern, let source = policies.externalIDPattern {
                let id = project.externalID
                if pattern.firstMatch(in: id, range: NSRange(id.startIndex..., in: id)) == nil {
                    violation("external_id '\(id)' does not match policies.external_id_pattern '\(source)'")
                }
            }
            // `archived: true` manages the status only, so the rules about fields and members leave it alone.
            guard !project.archived else { continue }
            if policies.requireDescription, !(project.description.value.map { !$0.allSatisfy(\.isWhitespace) } ?? false) {
                violation("project '\(project.externalID)' has no description; policies.require_description requires one")
            }
            guard let members = project.members else { continue }
            let owners = members.filter { $0.role == .owner }.count
            if let minimum = policies.minOwners, owners < minimum {
                violation("project '\(project.externalID)' has \(owners) owner\(owners == 1 ? "" : "s"); policies.min_owners requires at least \(minimum)")
            }
            if let maximum = policies.maxOwners, owners > maximum {
                violation("project '\(project.externalID)' has \(owners) owners; policies.max_owners allows at most \(maximum)")
            }
            if let allowed = policies.guestMaxRole {
                for member in members where member.role > allowed && guests.contains(member.normalizedEmail) {
                    violation(Policies.guestMessage(
                        email: member.email, role: member.role, project: project.externalID, group: member.group, allowed: allowed))
                }
            }
        }
    }
}
