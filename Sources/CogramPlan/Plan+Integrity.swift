import CogramAPI
import CogramManifest

// Checks of a saved plan that hold whatever its signature says (defence in depth). Reading the plan already
// refused what a typed change cannot hold (see `Change+Document.swift`); what is left needs the whole plan.

extension Plan {
    /// Every change outside the plan's own ownership prefix, and every change whose `cause` and `reason` disagree
    /// about offboarding. Empty for every plan `makePlan` produces.
    public func structuralProblems() -> [String] {
        let causes = changes.compactMap { change -> String? in
            guard let cause = change.cause, (cause.reason == .offboarded) != change.isOffboarding else { return nil }
            return "\(change.action.rawValue) \(change.address): its cause (\(cause.reason)) and its reason disagree"
        }
        guard let prefix = ownershipPrefix else { return causes }
        return causes + changes.compactMap { change in
            // Offboarding removes memberships everywhere the key reads, by design.
            guard !(change.action == .removeMember && change.isOffboarding),
                  let externalID = change.target.projectExternalID,
                  !OwnershipRule.manages(externalID: externalID, prefix: prefix) else { return nil }
            let what = change.address.projectAddress == change.address ? "the external_id" : "the project"
            return "\(change.action.rawValue) \(change.address): \(what) is outside the ownership prefix \(quoted(prefix))"
        }
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
