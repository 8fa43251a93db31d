/// One manifest entry that carries `expires`: a project's member entry (direct or a group reference), a group's
/// member entry, or a user.
public struct ExpiryEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `- email: … expires: …` in a project's members.
        case projectMember
        /// `- group: … expires: …` in a project's members.
        case projectGroup
        /// A member entry of a group.
        case groupMember
        /// A user's organization role (`role` holds through `expires`, then `then`).
        case user
    }

    public var kind: Kind
    /// nil for a group reference (it grants the group's members).
    public var email: String?
    /// The project's external_id for project entries.
    public var project: String?
    /// The group referenced (`projectGroup`) or holding the entry (`groupMember`).
    public var group: String?
    /// The role the entry grants: a project role (`ProjectRole.rawValue`) or an organization role for a user;
    /// nil for a group reference without its own role.
    public var role: String?
    /// A user's role after `expires`.
    public var then: OrganizationRole?
    public var expires: CalendarDay
    public var location: SourceLocation

    /// `expired 2027-03-31 (file:line)`: the reason of the change the expiry causes.
    public var reason: String { "expired \(expires) (\(location.file):\(location.line))" }
}

/// The manifests as of one UTC day: what counts, what has expired and what expires soon.
public struct AccessEvaluation: Sendable {
    /// The day judged.
    public var day: CalendarDay
    /// The warning window in days: entries with `day ≤ expires ≤ day + window` are expiring.
    public var window: Int
    /// The desired state as of `day`: expired entries count as absent (projects' `members` re-expanded, groups
    /// without their expired members, users' roles replaced by `then`). `memberEntries` keep every entry.
    public var state: DesiredState
    /// Entries with `expires < day`, in file order.
    public var expired: [ExpiryEntry]
    /// Entries with `day ≤ expires ≤ day + window`, in file order.
    public var expiring: [ExpiryEntry]
    /// The earliest `expires` on or after `day`, whatever the window: the last day on which the state judged here
    /// still holds (a saved plan is valid at most until the end of it).
    public var nextExpiry: CalendarDay?
    /// Per project external_id and normalized email: the expired entry behind a membership that is gone or lower
    /// as of `day` than the entries grant when none has expired.
    var lostMemberships: [String: [String: ExpiryEntry]]
    var lostUserRoles: [String: ExpiryEntry]

    /// The expired entry that removed or lowered `email`'s membership of project `externalID`, if one did: the
    /// planner's reason `expired … (file:line)`.
    public func expiredEntry(project externalID: String, email: String) -> ExpiryEntry? {
        lostMemberships[externalID]?[normalizeEmail(email)]
    }

    /// The expired `users:` entry that changed `email`'s organization role to its `then`, if one did.
    public func expiredUserEntry(email: String) -> ExpiryEntry? {
        lostUserRoles[normalizeEmail(email)]
    }
}

extension DesiredState {
    /// The default warning window, in days.
    public static let defaultExpiryWindow = 14

    /// Evaluates the manifests as of UTC `day`. Pure: the caller passes the day (the CLI's today, a test's pin).
    public func evaluated(asOf day: CalendarDay, warningWindow window: Int = DesiredState.defaultExpiryWindow) -> AccessEvaluation {
        var expired: [ExpiryEntry] = []
        var expiring: [ExpiryEntry] = []
        var nextExpiry: CalendarDay?
        let last = day.adding(days: window)
        func sort(_ entry: ExpiryEntry) {
            if entry.expires < day {
                expired.append(entry)
                return
            }
            nextExpiry = min(nextExpiry ?? entry.expires, entry.expires)
            if entry.expires <= last {
                expiring.append(entry)
            }
        }
        var state = self
        var lostUserRoles: [String: ExpiryEntry] = [:]
        for index in state.users.indices {
            let user = users[index]
            guard let expires = user.expires else { continue }
            let entry = ExpiryEntry(
                kind: .user, email: user.email, role: user.role?.rawValue, then: user.then, expires: expires, location: user.location)
            sort(entry)
            if expires < day {
                state.users[index].role = user.then
                state.users[index].expires = nil
                state.users[index].then = nil
                lostUserRoles[user.normalizedEmail] = entry
            }
        }
        var groupEntries: [String: [String: ExpiryEntry]] = [:]
        var byName: [String: DesiredGroup] = [:]
        for index in state.groups.indices {
            let group = groups[index]
            byName[group.name] = group
            for member in group.members {
                guard let expires = member.expires else { continue }
                let entry = ExpiryEntry(
                    kind: .groupMember, email: member.email, group: group.name, role: member.role.rawValue, expires: expires,
                    location: member.location)
                sort(entry)
                if expires < day { groupEntries[group.name, default: [:]][member.normalizedEmail] = entry }
            }
            state.groups[index].members = group.members.filter { $0.expires.map { $0 >= day } ?? true }
        }
        var lostMemberships: [String: [String: ExpiryEntry]] = [:]
        for index in state.projects.indices {
            let project = projects[index]
            var expiredHere: [ExpiryEntry] = []
            project.forEachMemberEntry { memberEntry in
                let entry: ExpiryEntry
                switch memberEntry {
                case .direct(let member):
                    guard let expires = member.expires else { return }
                    entry = ExpiryEntry(
                        kind: .projectMember, email: member.email, project: project.externalID, role: member.role.rawValue,
                        expires: expires, location: member.location)
                case .group(let reference):
                    guard let expires = reference.expires else { return }
                    entry = ExpiryEntry(
                        kind: .projectGroup, project: project.externalID, group: reference.name, role: reference.role?.rawValue,
                        expires: expires, location: reference.location)
                }
                sort(entry)
                if entry.expires < day { expiredHere.append(entry) }
            }
            // Only kept entries can name a group; entries that are the members do not.
            let usesExpiredGroupMember = project.writtenEntries?.contains {
                if case .group(let reference) = $0 { return groupEntries[reference.name] != nil }
                return false
            } ?? false
            guard !expiredHere.isEmpty || usesExpiredGroupMember, let entries = project.memberEntries else { continue }
            let all = GroupExpansion.members(of: entries, groups: byName, asOf: nil)
            let now = GroupExpansion.members(of: entries, groups: byName, asOf: day)
            state.projects[index].members = now
            var roles: [String: ProjectRole] = [:]
            for member in now { roles[member.normalizedEmail] = member.role }
            for member in all {
                let email = member.normalizedEmail
                if let role = roles[email], role >= member.role { continue }
                // The entry that granted the lost role: a direct entry, a group reference, or the group's entry.
                let cause = expiredHere.first { $0.kind == .projectMember && $0.email.map(normalizeEmail) == email }
                    ?? member.group.flatMap { group in expiredHere.first { $0.kind == .projectGroup && $0.group == group } }
                    ?? member.group.flatMap { groupEntries[$0]?[email] }
                if let cause { lostMemberships[project.externalID, default: [:]][email] = cause }
            }
        }
        return AccessEvaluation(
            day: day, window: window, state: state, expired: expired, expiring: expiring, nextExpiry: nextExpiry,
            lostMemberships: lostMemberships,
            lostUserRoles: lostUserRoles)
    }
}
