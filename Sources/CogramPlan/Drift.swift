import CogramAPI
import CogramCore
import CogramManifest
import Foundation

/// The JSON `kind` of a drift item and the `kind` label of `cogram_drift_objects`.
public enum DriftKind: String, Codable, Sendable, Hashable, CaseIterable {
    case projectField = "project_field"
    case projectMissing = "project_missing"
    case projectUnlisted = "project_unlisted"
    case memberAdded = "member_added"
    case memberRemoved = "member_removed"
    case memberRole = "member_role"
    case userRole = "user_role"
}

/// One place where Cogram differs from the manifests: a plan change seen the other way round. Absent values are
/// written as null: every item has every key, as the spec lists them.
public struct DriftItem: Codable, Sendable, Hashable {
    public var kind: DriftKind
    public var address: String
    /// `name`, `description`, `status` or `external_id` for project fields, `role` for roles, else nil.
    @ExplicitNull public var field: String? = nil
    /// What the manifests say (a value, a role), nil when they name nothing.
    @ExplicitNull public var manifest: String?
    /// What Cogram has, nil when it has nothing.
    @ExplicitNull public var cogram: String?
    /// When Cogram last changed the object, where the API gives it (projects only).
    @ExplicitNull public var updatedAt: String? = nil
    /// `file:line` of the manifest entry behind the difference, nil when no manifest names it.
    @ExplicitNull public var location: String? = nil
    public var adoptable: Bool
    /// Why `--adopt` leaves it alone, for the item that is not adoptable.
    @ExplicitNull public var note: String? = nil

    enum CodingKeys: String, CodingKey {
        case kind, address, field, manifest, cogram, location, adoptable, note
        case updatedAt = "updated_at"
    }
}

/// What no manifest manages, counted.
public struct UnmanagedCounts: Codable, Sendable, Hashable {
    public var projectsWithoutExternalID = 0
    public var usersInNoManifest = 0
    public var membershipsUnmanaged = 0

    /// The JSON keys, which are also the `kind` labels of `cogram_unmanaged_objects`, with their counts.
    public var labelled: [(kind: String, count: Int)] {
        [("projects_without_external_id", projectsWithoutExternalID),
         ("users_in_no_manifest", usersInNoManifest),
         ("memberships_unmanaged", membershipsUnmanaged)]
    }

    enum CodingKeys: String, CodingKey {
        case projectsWithoutExternalID = "projects_without_external_id"
        case usersInNoManifest = "users_in_no_manifest"
        case membershipsUnmanaged = "memberships_unmanaged"
    }
}

/// The organization a drift report is about, as the JSON documents carry it (without `api_key_env`).
public struct DriftOrganization: Codable, Sendable, Hashable {
    @ExplicitNull public var name: String?
    @ExplicitNull public var anchor: String?
    public var apiKeyEnv: String? = nil
    /// Where the key of this run came from, for the header (not encoded); nil: `apiKeyEnv` or `COGRAM_API_KEY`.
    public var keySource: String? = nil

    /// The `organization` label of the metrics.
    public var label: String { name ?? "unnamed" }

    enum CodingKeys: String, CodingKey { case name, anchor }
}

extension DriftOrganization {
    public init(_ section: OrganizationSection?) {
        self.init(name: section?.name, anchor: section?.anchor, apiKeyEnv: section?.apiKeyEnv)
    }
}

/// `cogramctl drift`: every difference between Cogram and the manifests, and what no manifest manages.
public struct DriftReport: Codable, Sendable, Hashable {
    public var kind = "cogramctl-drift"
    public var formatVersion = "1"
    public var organization: DriftOrganization
    public var apiURL: String
    public var checkedAt: String
    public var drift: [DriftItem]
    public var unmanaged: UnmanagedCounts

    public var hasDrift: Bool { !drift.isEmpty }

    /// Items per kind, every kind present (zero included), for the metrics.
    public var countsByKind: [(kind: DriftKind, count: Int)] {
        DriftKind.allCases.map { kind in (kind, drift.filter { $0.kind == kind }.count) }
    }

    enum CodingKeys: String, CodingKey {
        case kind, organization, drift, unmanaged
        case formatVersion = "format_version"
        case checkedAt = "checked_at"
        case apiURL = "api_url"
    }

    /// Stable JSON: sorted keys, pretty printed, with a final newline.
    public func jsonData() throws -> Data {
        try StableJSON.data(self)
    }
}

// MARK: - Classification

/// Drift from the full plan of `desired` against `observed`: each change the plan would make is a place where
/// Cogram differs from the manifests, so the rules of what differs live in the planner alone.
public func makeDriftReport(
    desired: DesiredState, observed: ObservedState, plan: Plan, checkedAt: Date, today: CalendarDay
) -> DriftReport {
    let items = classifyDrift(desired: desired, observed: observed, plan: plan, today: today).flatMap(\.items)
    return DriftReport(
        organization: DriftOrganization(desired.organization),
        apiURL: plan.apiURL,
        checkedAt: formatTimestamp(checkedAt),
        drift: items.sorted { ($0.address, $0.field ?? "") < ($1.address, $1.field ?? "") },
        unmanaged: unmanagedCounts(desired: desired, observed: observed))
}

/// Each change of the full plan with the drift items it stands for (one change may hold several fields).
func classifyDrift(
    desired: DesiredState, observed: ObservedState, plan: Plan, today: CalendarDay
) -> [(change: Change, items: [DriftItem])] {
    var classifier = DriftClassifier(desired: desired, observed: observed, today: today)
    return plan.changes.map { ($0, classifier.items(for: $0, in: plan)) }
}

/// Reads Cogram in full and reports drift: the whole of `drift` but the printing. The plan comes back too, for
/// its errors (unknown or duplicate emails), which stop the command as they stop `plan`. A key of another
/// organization (the anchor is not among its users) throws `AnchorMismatch` before anything is compared.
public func readDrift(
    desired: DesiredState, client: some CogramClientProtocol, options: PlanOptions, parallelism: Int,
    keySource: String? = nil, progress: @escaping @Sendable (ObservedReadProgress) -> Void = { _ in }
) async throws -> (report: DriftReport, plan: Plan, observed: ObservedState) {
    let keySource = keySource ?? desired.organization?.apiKeyEnv ?? "COGRAM_API_KEY"
    let observed = try await readFullObservedState(client: client, parallelism: parallelism, progress: progress)
    try checkAnchor(organization: desired.organization, users: observed.users, keySource: keySource)
    var full = options
    full.targets = nil  // drift is never scoped
    let plan = makePlan(desired: desired, observed: observed, options: full)
    var report = makeDriftReport(
        desired: desired, observed: observed, plan: plan, checkedAt: options.now, today: CalendarDay(options.now))
    report.organization.keySource = keySource
    return (report, plan, observed)
}

/// The three counts of what no manifest manages.
public func unmanagedCounts(desired: DesiredState, observed: ObservedState) -> UnmanagedCounts {
    var counts = UnmanagedCounts()
    counts.projectsWithoutExternalID = observed.projects.filter { ($0.externalID ?? "").isEmpty }.count

    // The users no manifest names: every observed user, less each email the manifests name. The walk stops as
    // soon as none is left, usually after `users:`, before the (many) project members.
    var unnamed: [String: Int] = [:]
    for user in observed.users { unnamed[normalizeEmail(user.email), default: 0] += 1 }
    func name(_ email: String) -> Bool {
        unnamed.removeValue(forKey: normalizeEmail(email))
        return unnamed.isEmpty
    }
    names: do {
        for user in desired.users where name(user.email) { break names }
        for person in desired.offboarded where name(person.email) { break names }
        for group in desired.groups { for member in group.members where name(member.email) { break names } }
        // Through indices, so that the projects and their members are not copied whole to read an email.
        for project in desired.projects.indices {
            guard let members = desired.projects[project].members else { continue }
            for index in members.indices where name(members[index].email) { break names }
        }
    }
    counts.usersInNoManifest = unnamed.values.reduce(0, +)

    let matching = ProjectMatching(desired: desired, projects: observed.projects)
    var managedMembers: Set<String> = []
    for (index, match) in matching.matches where desired.projects[index].members != nil && !desired.projects[index].archived {
        managedMembers.insert(match.id)
    }
    // A loop rather than `filter`, which would copy the dictionary of every member list.
    for (projectID, members) in observed.members where !managedMembers.contains(projectID) {
        counts.membershipsUnmanaged += members.count
    }
    return counts
}

private struct DriftClassifier {
    let desired: DesiredState
    let projectsByExternalID: [String: DesiredProject]
    let usersByEmail: [String: DesiredUser]
    let offboarded: Set<String>
    let observedByID: [String: Project]
    let today: CalendarDay

    init(desired: DesiredState, observed: ObservedState, today: CalendarDay) {
        self.desired = desired
        projectsByExternalID = Dictionary(desired.projects.map { ($0.externalID, $0) }, uniquingKeysWith: { a, _ in a })
        usersByEmail = Dictionary(desired.users.map { ($0.normalizedEmail, $0) }, uniquingKeysWith: { a, _ in a })
        offboarded = Set(desired.offboarded.map { normalizeEmail($0.email) })
        observedByID = Dictionary(observed.projects.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.today = today
    }

    private func location(_ l: SourceLocation?) -> String? { l.map { "\($0.file):\($0.line)" } }

    private func updatedAt(_ change: Change) -> String? {
        if case .project(let updatedAt, _) = change.precondition { return updatedAt }
        return change.target.projectID.flatMap { observedByID[$0]?.updatedAt }
    }

    /// Why access that the manifests end cannot be adopted: writing Cogram's value back would undo the end.
    /// The planner's reason reads `expired DAY (file:line)` or `offboarded (file:line)`.
    private func accessEndNote(email: String, expires: CalendarDay?, reason: String?) -> String? {
        if offboarded.contains(email) || reason?.hasPrefix("offboarded") == true {
            return "caused by offboarded:; adopting would write the removed access back"
        }
        if let expires, expires <= today {
            return "caused by expires: \(expires); adopting would write the expired access back"
        }
        if let reason, reason.hasPrefix("expired") { return "caused by \(reason); adopting would write the expired access back" }
        return nil
    }

    mutating func items(for change: Change, in plan: Plan) -> [DriftItem] {
        let address = change.address.description
        let externalID = change.target.projectExternalID
        let project = externalID.flatMap { projectsByExternalID[$0] }
        switch change.edit {
        case .create(let name, _):
            return [DriftItem(
                kind: .projectMissing, address: address, manifest: name, cogram: nil,
                location: location(project?.location), adoptable: false,
                note: "in the manifests, not in Cogram; --adopt never deletes a manifest project")]
        case .update(let edit):
            return fieldItems(edit, change: change, project: project)
        case .restore(let edit):
            return fieldItems(edit, change: change, project: project) + [DriftItem(
                kind: .projectField, address: address, field: "status", manifest: "active", cogram: "archived",
                updatedAt: updatedAt(change), location: location(project?.location), adoptable: true)]
        case .archive:
            if project == nil {
                return [DriftItem(
                    kind: .projectUnlisted, address: address, manifest: nil, cogram: change.projectName,
                    updatedAt: updatedAt(change), adoptable: true)]
            }
            return [DriftItem(
                kind: .projectField, address: address, field: "status", manifest: "archived", cogram: "active",
                updatedAt: updatedAt(change), location: location(project?.location), adoptable: true)]
        case .addMember(let role):
            // Members of a project the plan creates are part of `project_missing`.
            guard change.target.projectID != nil else { return [] }
            let email = change.target.email ?? change.address.email ?? ""
            let member = project?.members?.first { $0.normalizedEmail == email }
            return [memberItem(
                .memberRemoved, change: change, member: member, manifest: role.rawValue, cogram: nil)]
        case .updateMember(let from, let to):
            let email = change.target.email ?? change.address.email ?? ""
            let member = project?.members?.first { $0.normalizedEmail == email }
            return [memberItem(.memberRole, change: change, member: member, manifest: to.rawValue, cogram: from.rawValue)]
        case .removeMember(let from):
            let email = change.target.email ?? change.address.email ?? ""
            let note = accessEndNote(email: email, expires: nil, reason: change.reason)
            return [DriftItem(
                kind: .memberAdded, address: address, field: "role", manifest: nil, cogram: from.rawValue,
                location: location(project?.location), adoptable: note == nil, note: note)]
        case .updateUser(let edit):
            let email = change.target.email ?? change.address.email ?? ""
            let user = usersByEmail[email]
            var out: [DriftItem] = []
            if let role = edit.after.role {
                let note = accessEndNote(email: email, expires: user?.expires, reason: change.reason)
                out.append(DriftItem(
                    kind: .userRole, address: address, field: "role", manifest: role.rawValue,
                    cogram: edit.before.role?.rawValue, location: location(user?.location), adoptable: note == nil, note: note))
            }
            if !edit.after.externalID.isAbsent {
                // A user's external_id has no kind of its own; it is reported with the user's other field.
                out.append(DriftItem(
                    kind: .userRole, address: address, field: "external_id", manifest: edit.after.externalID.text,
                    cogram: edit.before.externalID.text, location: location(user?.location), adoptable: false,
                    note: "an identity field the manifests set"))
            }
            return out
        }
    }

    private func memberItem(_ kind: DriftKind, change: Change, member: DesiredMember?, manifest: String?, cogram: String?) -> DriftItem {
        let email = change.target.email ?? change.address.email ?? ""
        var note = accessEndNote(email: email, expires: member?.expires, reason: change.reason)
        if note == nil, let group = member?.group {
            note = "granted by group \(group); adopting would change every project of the group"
        }
        return DriftItem(
            kind: kind, address: change.address.description, field: "role", manifest: manifest, cogram: cogram,
            location: location(member?.location), adoptable: note == nil, note: note)
    }

    private func fieldItems(_ edit: ProjectEdit, change: Change, project: DesiredProject?) -> [DriftItem] {
        var out: [DriftItem] = []
        let address = change.address.description
        if let name = edit.after.name {
            out.append(DriftItem(
                kind: .projectField, address: address, field: "name", manifest: name, cogram: edit.before.name,
                updatedAt: updatedAt(change), location: location(project?.location), adoptable: true))
        }
        if !edit.after.description.isAbsent {
            out.append(DriftItem(
                kind: .projectField, address: address, field: "description", manifest: edit.after.description.text,
                cogram: edit.before.description.text, updatedAt: updatedAt(change), location: location(project?.location),
                adoptable: true))
        }
        if !edit.after.externalID.isAbsent {
            out.append(DriftItem(
                kind: .projectField, address: address, field: "external_id", manifest: edit.after.externalID.text,
                cogram: edit.before.externalID.text, updatedAt: updatedAt(change), location: location(project?.location),
                adoptable: false, note: "the manifest renames the project; apply carries the rename"))
        }
        return out
    }
}

extension PatchField where Value == String {
    /// The value, nil for null or absent.
    var text: String? {
        if case .value(let v) = self { return v }
        return nil
    }
}
