import CogramAPI
import CogramManifest

// Checks of a saved plan that hold whatever its signature says (defence in depth): a plan whose parts contradict
// one another is refused before anything is read or written.

extension Plan {
    /// Every way the plan contradicts itself: a precondition that does not fit its action, an address that does
    /// not name the change's target, a change outside the ownership prefix, fields an action cannot carry.
    /// Empty for every plan `makePlan` produces.
    public func structuralProblems() -> [String] {
        var problems: [String] = []
        for change in changes {
            let problem = { (text: String) in problems.append("\(change.action.rawValue) \(change.address): \(text)") }
            let target = change.target
            switch (change.action, change.precondition) {
            case (.create, .projectAbsent(let externalID)):
                if externalID != target.projectExternalID { problem("its precondition names another external_id") }
            case (.update, .project), (.restore, .project), (.archive, .project),
                 (.addMember, .memberAbsent), (.updateMember, .member), (.removeMember, .member), (.updateUser, .user):
                break
            default:
                problem("a \(change.precondition.kindName) precondition does not fit this action")
            }

            switch change.action {
            case .create, .update, .restore, .archive:
                guard let externalID = target.projectExternalID, change.address == projectAddress(externalID) else {
                    problem("the address does not name the target's external_id")
                    continue
                }
                if change.action != .create, target.projectID == nil { problem("the target has no project_id") }
                if let prefix = ownershipPrefix, !externalID.hasPrefix(prefix) {
                    problem("the external_id is outside the ownership prefix \(quoted(prefix))")
                }
                if change.action == .create, change.after?.name == nil { problem("a create without a name") }
                if case .value(let e) = change.after?.externalID ?? .absent, e != externalID {
                    problem("it would set external_id \(quoted(e)), not the address's")
                }
                if change.after?.role != nil { problem("a project change cannot set a role") }
                let status = change.after?.status
                switch change.action {
                case .archive:
                    if status != .archived || change.after?.name != nil || !(change.after?.description.isAbsent ?? true)
                        || !(change.after?.externalID.isAbsent ?? true) {
                        problem("an archive can only set status archived")
                    }
                case .restore: if status != .active { problem("a restore must set status active") }
                case .update, .create: if status != nil { problem("only archive and restore change the status") }
                default: break
                }
            case .addMember, .updateMember, .removeMember:
                guard let externalID = target.projectExternalID, let email = target.email, target.userID != nil,
                      change.address == memberAddress(externalID, email)
                else {
                    problem("the address does not name the target's project and email, or the target has no user_id")
                    continue
                }
                if let prefix = ownershipPrefix, !externalID.hasPrefix(prefix) {
                    problem("the project is outside the ownership prefix \(quoted(prefix))")
                }
                if change.action == .removeMember {
                    if change.after != nil { problem("a removal sets nothing") }
                } else if ProjectRole(rawValue: change.after?.role ?? "") == nil {
                    problem("the role to set is not owner, editor or viewer")
                }
                if let after = change.after, after.name != nil || after.status != nil || !after.description.isAbsent || !after.externalID.isAbsent {
                    problem("a member change can only set a role")
                }
            case .updateUser:
                guard let email = target.email, target.userID != nil, change.address == "user.\(normalizeEmail(email))",
                      target.projectID == nil, target.projectExternalID == nil
                else {
                    problem("the address does not name the target's email, or the target is not a user")
                    continue
                }
                if let role = change.after?.role, OrganizationRole(rawValue: role) == nil {
                    problem("the role to set is not admin, member or guest")
                }
                if let after = change.after, after.name != nil || after.status != nil || !after.description.isAbsent {
                    problem("a user change can only set a role and an external_id")
                }
            }
        }
        return problems
    }
}

extension Precondition {
    var kindName: String {
        switch self {
        case .projectAbsent: "project-absent"
        case .project: "project"
        case .memberAbsent: "member-absent"
        case .member: "member"
        case .user: "user"
        }
    }
}
