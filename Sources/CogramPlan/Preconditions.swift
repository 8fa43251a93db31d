import CogramAPI
import CogramManifest

/// A change whose precondition no longer holds: Cogram moved since the plan was made.
public struct PreconditionFailure: Sendable, Hashable, CustomStringConvertible {
    public var address: String
    public var expected: String
    public var found: String
    /// The fields that differ from what the plan saw (`name`, `role`, `updated_at`, …).
    public var fields: [String] = []
    /// Cogram already shows exactly what this change would have done.
    public var matchesPlan: Bool = false
    /// The project found where the plan creates one (a create already made: its members need this id).
    public var projectID: String?

    public var description: String {
        let what = fields.isEmpty ? "" : "\(fields.joined(separator: ", ")) changed; "
        let done = matchesPlan ? " (already as planned)" : ""
        return "\(address): \(what)the plan expected \(expected), Cogram now has \(found)\(done)"
    }
}

/// What `apply PLANFILE` prints when preconditions moved: one line per object naming what differs, and a verdict.
public func renderStale(_ failures: [PreconditionFailure]) -> String {
    var text: String
    if !failures.isEmpty, failures.allSatisfy(\.matchesPlan) {
        text = "error: this plan appears to be applied already: Cogram shows what it would do for \(failures.count == 1 ? "its change" : "all \(failures.count) changes that differ"):\n"
    } else {
        let count = failures.count
        text = "error: the saved plan is stale: \(count) \(count == 1 ? "object" : "objects") changed in Cogram since it was made:\n"
    }
    for failure in failures { text += "  - \(escapeForTerminal(failure.description))\n" }
    text += "Nothing was changed. Run `cogramctl plan` again and review the new plan.\n"
    return text
}

/// Re-reads what the plan's changes touch and returns every precondition that no longer holds
/// (empty: the plan is still exactly right).
///
/// Projects are read through the endpoint that made the plan (the list), either filtered by the external_id the
/// project carries (one request each) or with one full `listProjects(status: .all)`, whichever takes fewer
/// requests given the number of projects the plan saw; users likewise (`listUsers(email:)` per user or one full
/// list); members with one list per touched project, a project the plan creates included when Cogram already has
/// it (its members are then done, still to do, or stale like any other). Filtered reads are checked on our side:
/// a server that ignores a filter gives the same answer as one that honours it.
public func checkPreconditions(
    plan: Plan, client: some CogramClientProtocol, parallelism: Int = 8
) async throws -> [PreconditionFailure] {
    var filterKeys: Set<String> = []
    var needsFullProjectList = false
    var memberProjectIDs: Set<String> = []
    var userEmails: Set<String> = []
    // The external_id each project the plan touches carries now: its project change says (re-keying and adoption
    // change it), else the address does.
    var carriedBy: [String: String?] = [:]
    for change in plan.changes {
        guard case .project = change.precondition else { continue }
        if let id = change.target.projectID { carriedBy[id] = .some(change.currentExternalID) }
    }
    func carried(_ change: Change) -> String? {
        guard let id = change.target.projectID else { return change.target.projectExternalID }
        return carriedBy[id] ?? change.target.projectExternalID
    }
    for change in plan.changes {
        switch change.precondition {
        case .projectAbsent(let externalID): filterKeys.insert(externalID)
        case .project:
            if let key = change.currentExternalID { filterKeys.insert(key) } else { needsFullProjectList = true }
        case .member, .memberAbsent:
            if let id = change.target.projectID {
                memberProjectIDs.insert(id)
                if let key = carried(change) { filterKeys.insert(key) } else { needsFullProjectList = true }
            }
            if let email = change.target.email { userEmails.insert(normalizeEmail(email)) }
        case .user: if let email = change.target.email { userEmails.insert(normalizeEmail(email)) }
        }
    }

    // MARK: Read
    /// Requests for a full list of `count` items, at the client's 100 items a page.
    func fullListCost(_ count: Int) -> Int { max(1, (count + 99) / 100) }
    var projectsByID: [String: Project] = [:]
    var projectsByExternalID: [String: [Project]] = [:]
    if filterKeys.isEmpty && !needsFullProjectList {
        // nothing to read
    } else if needsFullProjectList || fullListCost(plan.inventory.projects) <= filterKeys.count {
        for project in try await client.listProjects(status: .all, externalID: nil) {
            projectsByID[project.id] = project
            if let e = project.externalID { projectsByExternalID[e, default: []].append(project) }
        }
    } else {
        let found = try await forEachBounded(filterKeys.sorted(), parallelism: parallelism) { key in
            try await readProjects(carrying: key, client: client)
        }
        for (key, lookup) in found {
            switch lookup {
            case .none: break
            case .one(let p):
                projectsByExternalID[key] = [p.project]
                projectsByID[p.id] = p.project
            case .several(let projects):
                projectsByExternalID[key] = projects
                for p in projects { projectsByID[p.id] = p }
            }
        }
    }

    // A project the plan creates that Cogram already has (the create is done, or stale): the members the plan adds
    // to it are checked against it, so that applying the plan again counts those already there as done rather than
    // asking for them again (a new plan no longer does: it sees them).
    var createdProjectIDs: [String: String] = [:]
    for change in plan.changes {
        guard case .projectAbsent(let externalID) = change.precondition,
              let found = projectsByExternalID[externalID], found.count == 1 else { continue }
        createdProjectIDs[externalID] = found[0].id
    }
    /// The project a member change writes to: its target's, or the one its project's create already made.
    func memberProjectID(_ change: Change) -> String? {
        change.target.projectID ?? change.target.projectExternalID.flatMap { createdProjectIDs[$0] }
    }
    for change in plan.changes where change.target.projectID == nil {
        guard case .memberAbsent = change.precondition, let id = memberProjectID(change) else { continue }
        memberProjectIDs.insert(id)
    }

    let members = try await forEachBounded(memberProjectIDs.sorted(), parallelism: parallelism) { id -> [Member]? in
        do { return try await client.listMembers(projectID: id) } catch where apiStatus(error) == 404 { return nil }
    }

    var usersByEmail: [String: [User]] = [:]
    if userEmails.isEmpty {
        // nothing to read
    } else if fullListCost(plan.inventory.users) <= userEmails.count {
        for user in try await client.listUsers(email: nil) { usersByEmail[normalizeEmail(user.email), default: []].append(user) }
    } else {
        usersByEmail = try await forEachBounded(userEmails.sorted(), parallelism: parallelism) { email in
            try await readUsers(withEmail: email, client: client)
        }
    }

    // MARK: Compare
    var failures: [PreconditionFailure] = []
    func fail(_ change: Change, _ found: String, fields: [String] = [], matchesPlan: Bool = false, projectID: String? = nil) {
        failures.append(PreconditionFailure(
            address: change.address.description, expected: change.precondition.summary, found: found, fields: fields,
            matchesPlan: matchesPlan, projectID: projectID))
    }
    /// The target is not what the address names: an edited plan, or ids that changed hands. Never applied.
    func mismatch(_ change: Change, _ found: String) {
        failures.append(PreconditionFailure(
            address: change.address.description, expected: "the object its address names", found: found, fields: ["target"]))
    }
    for change in plan.changes {
        // Identity first: the ids apply would write to must belong to what the address names, inside the prefix.
        if let projectID = change.target.projectID, let project = projectsByID[projectID] {
            let expected = carried(change)
            if project.externalID != expected {
                mismatch(change, "project \(projectID) carries external_id \(project.externalID.map(quoted) ?? "null"), not \(expected.map(quoted) ?? "null")")
                continue
            }
            if change.action == .archive, let prefix = plan.ownershipPrefix, !OwnershipRule.manages(project: project.externalID, prefix: prefix) {
                mismatch(change, "project \(projectID) is outside the ownership prefix \(quoted(prefix))")
                continue
            }
        }
        if change.action.isMemberChange, let projectID = change.target.projectID, projectsByID[projectID] == nil {
            mismatch(change, "no project \(projectID) with external_id \(carried(change).map(quoted) ?? "null")")
            continue
        }
        if let userID = change.target.userID, let email = change.target.email.map(normalizeEmail),
           let users = usersByEmail[email], users.count == 1, users[0].id != userID {
            mismatch(change, "user \(userID) is not \(email) (that email belongs to \(users[0].id))")
            continue
        }
        if change.action.isMemberChange, let userID = change.target.userID,
           let email = change.target.email.map(normalizeEmail), (usersByEmail[email] ?? []).isEmpty {
            mismatch(change, "no user \(email) (the plan names \(userID))")
            continue
        }
        switch change.precondition {
        case .projectAbsent(let externalID):
            let found = projectsByExternalID[externalID] ?? []
            if found.count == 1, let project = found.first {
                fail(change, "project \(project.id) (\(project.status.rawValue)) with that external_id", fields: ["project"],
                     matchesPlan: change.matches(project), projectID: project.id)
            } else if found.count > 1 {
                fail(change, "several projects with that external_id (\(idList(found.map(\.id))))")
            }
        case .project(let updatedAt, let status):
            guard let id = change.target.projectID else { continue }
            guard let project = projectsByID[id] else {
                let carrying = change.currentExternalID.map { " with external_id \(quoted($0))" } ?? ""
                fail(change, "no project \(id)\(carrying)")
                continue
            }
            if !Instant.same(project.updatedAt, updatedAt) || project.status != status {
                var fields = change.before.map { ChangeFields(project).differingFields(from: $0) } ?? []
                if project.status != status, !fields.contains("status") { fields.append("status") }
                if fields.isEmpty { fields = ["updated_at"] }
                fail(change, "\(project.status.rawValue), updated_at \(project.updatedAt)", fields: fields,
                     matchesPlan: change.matches(project))
            }
        case .memberAbsent, .member:
            guard let projectID = memberProjectID(change), let userID = change.target.userID else { continue }
            guard let list = members[projectID], let projectMembers = list else {
                fail(change, "no project \(projectID)")
                continue
            }
            let current = projectMembers.first { $0.userID == userID }
            if current?.role != change.precondition.memberRole {
                let applied = change.action == .removeMember ? current == nil : current?.role.known == change.edit.memberRoleToSet
                fail(change, current.map { "member with role \($0.role.rawValue)" } ?? "not a member",
                     fields: [current == nil || change.precondition.memberRole == nil ? "membership" : "role"], matchesPlan: applied)
            }
        case .user(let role, let externalID):
            guard let email = change.target.email.map(normalizeEmail) else { continue }
            let found = usersByEmail[email] ?? []
            guard found.count <= 1 else {
                fail(change, "several users with that email (\(idList(found.map(\.id))))")
                continue
            }
            guard let user = found.first else {
                fail(change, "no user \(email)")
                continue
            }
            if user.role != role || user.externalID != externalID || user.status != .active {
                let deactivated = user.status == .active ? "" : " (\(user.status.rawValue))"
                var fields: [String] = []
                if user.role != role { fields.append("role") }
                if user.externalID != externalID { fields.append("external_id") }
                if user.status != .active { fields.append("status") }
                let roleDone = change.edit.userRoleToSet.map { user.role == $0 } ?? (user.role == role)
                let externalIDDone = (change.after?.externalID ?? .absent).matches(user.externalID, unsetMeans: externalID)
                let applied = user.status == .active && roleDone && externalIDDone
                fail(change, "role \(user.role.rawValue), external_id \(user.externalID.map(quoted) ?? "null")\(deactivated)",
                     fields: fields, matchesPlan: applied)
            }
        }
    }
    return failures.sorted { ($0.address, $0.expected) < ($1.address, $1.expected) }
}

extension ChangeFields {
    /// A project's managed fields as `ChangeFields` (every field set).
    init(_ project: Project) {
        self.init(
            name: project.name, description: PatchField(live: project.description),
            externalID: PatchField(live: project.externalID), status: project.status.known)
    }

    /// Names of the fields set in `other` whose values differ here.
    func differingFields(from other: ChangeFields) -> [String] {
        var out: [String] = []
        if let name = other.name, name != self.name { out.append("name") }
        if !other.description.isAbsent, other.description != description { out.append("description") }
        if !other.externalID.isAbsent, other.externalID != externalID { out.append("external_id") }
        if let status = other.status, status != self.status { out.append("status") }
        return out
    }
}

extension PatchField where Value == String {
    /// Whether a live optional value is what this field sets (`unsetMeans` when the field is absent).
    func matches(_ live: String?, unsetMeans: String?) -> Bool {
        switch self {
        case .absent: live == unsetMeans
        case .null: live == nil
        case .value(let v): live == v
        }
    }
}

extension Change {
    /// Whether a live project already is what this create, update, restore or archive would make it.
    func matches(_ project: Project) -> Bool {
        guard let after else { return false }
        let live = ChangeFields(project)
        if let name = after.name, name != live.name { return false }
        if !after.description.isAbsent, after.description != live.description { return false }
        if !after.externalID.isAbsent, after.externalID != live.externalID { return false }
        let status = after.status ?? .active
        return live.status == status
    }

    /// The external_id the change's project carries in Cogram now: the one it had before the change when the
    /// change sets one (re-keying, adoption), else the target's; nil when it has none.
    var currentExternalID: String? {
        switch before?.externalID ?? .absent {
        case .absent: target.projectExternalID
        case .null: nil
        case .value(let e): e
        }
    }
}

extension Precondition {
    /// The role a member precondition expects; nil for "not a member".
    var memberRole: OpenEnum<ProjectRole>? {
        if case .member(let role) = self { return role }
        return nil
    }
}

/// What the safety caps of a saved plan are measured against, re-read from Cogram rather than taken from the
/// file: a count in the file can only make a cap stricter, never looser, than what Cogram has now. Reads only what
/// a cap the plan could exceed needs (the project list for more than one archive; the member lists of the managed
/// active projects for more than five removals).
public func liveInventory(plan: Plan, client: some CogramClientProtocol, parallelism: Int = 8) async throws -> PlanInventory {
    var inventory = plan.inventory
    let summary = plan.summary
    guard summary.archive > SafetyCap.archive.floor || summary.removeMember > SafetyCap.memberRemoval.floor else { return inventory }
    let projects = try await client.listProjects(status: .all, externalID: nil)
    let active = projects.filter { project in
        project.status == .active && OwnershipRule.manages(project: project.externalID, prefix: plan.ownershipPrefix)
    }
    inventory.managedActiveProjects = min(inventory.managedActiveProjects, active.count)
    inventory.projects = projects.count
    if summary.removeMember > SafetyCap.memberRemoval.floor {
        let lists = try await forEachBounded(active.map(\.id), parallelism: parallelism) { id -> Int in
            do { return try await client.listMembers(projectID: id).count } catch where apiStatus(error) == 404 { return 0 }
        }
        inventory.managedMemberships = min(inventory.managedMemberships, lists.values.reduce(0, +))
    }
    return inventory
}
