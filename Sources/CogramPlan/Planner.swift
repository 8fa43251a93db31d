import CogramAPI
import CogramManifest
import Foundation

/// Computes the changes that make Cogram (`observed`) match the manifests (`desired`).
///
/// A pure function: no I/O, no clock (the time comes from `options.now`). The rules are those of
/// `spec/manifest-v1.md`; the choices the spec leaves open are written down in `docs/plan-and-apply.md`.
public func makePlan(desired: DesiredState, observed: ObservedState, options: PlanOptions) -> Plan {
    var planner = Planner(desired: desired, observed: observed, options: options)
    planner.run()
    return Plan(
        toolVersion: options.toolVersion,
        createdAt: formatTimestamp(options.now),
        expiresAt: formatTimestamp(planExpiry(options: options, nextExpiry: planner.evaluation.nextExpiry)),
        apiURL: options.apiURL,
        manifestDigest: options.manifestDigest,
        changes: planner.changes.sorted(by: Change.planOrder),
        warnings: planner.warnings,
        safetyViolations: safetyViolations(
            changes: planner.changes, inventory: planner.inventory, ownerless: planner.ownerless, options: options),
        inventory: planner.inventory,
        targets: planner.targets.map { $0.sorted() },
        safetyOverrides: options.overrides,
        ownershipPrefix: desired.externalIDPrefix,
        manifestFiles: options.manifestFiles,
        expiring: expiringAccess(planner.evaluation, groups: desired.groups, location: { "\($0.file):\($0.line)" }),
        errors: (planner.errors + guestPolicyErrors(desired: desired, users: observed.users)).sorted(by: byLocationThenMessage),
        organization: PlanOrganization(desired.organization))
}

/// When a saved plan stops being valid: after `options.validity`, and at the latest at the end of the UTC day of the
/// first entry that expires on or after the plan's day (manifest-v1.md: a plan that relies on an entry expiring on
/// day D is valid at most until the end of D).
func planExpiry(options: PlanOptions, nextExpiry: CalendarDay?) -> Date {
    let validity = options.now.addingTimeInterval(options.validity)
    guard let nextExpiry else { return validity }
    let endOfDay = Date(timeIntervalSince1970: TimeInterval(nextExpiry.adding(days: 1).daysSinceEpoch) * 86_400)
    return min(validity, endOfDay)
}

/// `--target` values as external ids: `project.<external_id>` (an address) or the external id itself. A value
/// that names a known project as written is taken as written. Returns the external ids and the values that match
/// nothing in `known`.
func resolveTargets(_ targets: Set<String>, known: Set<String>) -> (ids: Set<String>, unmatched: [String]) {
    var ids: Set<String> = []
    var unmatched: [String] = []
    for target in targets.sorted() {
        let stripped = if case .project(.externalID(let id))? = ChangeAddress(parsing: target)?.kind { id } else { target }
        if known.contains(stripped) {
            ids.insert(stripped)
        } else if known.contains(target) {
            ids.insert(target)
        } else {
            unmatched.append(target)
            ids.insert(stripped)
        }
    }
    return (ids, unmatched)
}

/// The safety caps, as a function of the plan's changes, so that a saved plan can be re-checked with other
/// options (for example `cogramctl apply PLANFILE --allow-mass-archive`). The overrides recorded in the plan
/// count too: what was reviewed under `plan --allow-mass-archive` applies without repeating the flag.
public func safetyViolations(plan: Plan, options: PlanOptions, inventory: PlanInventory? = nil) -> [SafetyViolation] {
    let ownerless = plan.safetyViolations.filter { $0.kind == .noOwner }.compactMap(\.address)
    var merged = options
    merged.overrides = options.overrides.merging(plan.safetyOverrides)
    return safetyViolations(changes: plan.changes, inventory: inventory ?? plan.inventory, ownerless: ownerless, options: merged)
}

/// The cap `count` goes over: the raised cap, else the default cap of `total`; nil when within it or lifted.
private func exceededCap(_ count: Int, raisedTo raised: Int?, _ kind: SafetyCap, of total: Int, lifted: Bool) -> Int? {
    let cap = raised ?? kind.defaultCap(of: total)
    return !lifted && count > cap ? cap : nil
}

func safetyViolations(changes: [Change], inventory: PlanInventory, ownerless: [String], options: PlanOptions) -> [SafetyViolation] {
    var out: [SafetyViolation] = []
    let summary = PlanSummary(changes: changes.filter { !$0.isOffboarding })

    if let cap = exceededCap(summary.archive, raisedTo: options.maxArchive, .archive, of: inventory.managedActiveProjects, lifted: options.allowMassArchive) {
        out.append(SafetyViolation(
            kind: .massArchive,
            message: "the plan archives \(summary.archive) of \(inventory.managedActiveProjects) managed active projects, more than the cap of \(cap)",
            flag: "--allow-mass-archive or --max-archive \(summary.archive)"))
    }
    if let cap = exceededCap(summary.removeMember, raisedTo: options.maxMemberRemovals, .memberRemoval, of: inventory.managedMemberships, lifted: options.allowMassMemberRemoval) {
        out.append(SafetyViolation(
            kind: .massMemberRemoval,
            message: "the plan removes \(summary.removeMember) of \(inventory.managedMemberships) managed memberships, more than the cap of \(cap)",
            flag: "--allow-mass-member-removal or --max-member-removals \(summary.removeMember)"))
    }
    if !options.allowNoOwner {
        for address in ownerless.sorted() {
            out.append(SafetyViolation(
                kind: .noOwner,
                message: "\(address) would have members but no owner",
                flag: "--allow-no-owner", address: address))
        }
    }
    return out
}

// MARK: - The diff

private struct Planner {
    let desired: DesiredState
    let observed: ObservedState
    let options: PlanOptions

    var changes: [Change] = []
    var warnings: [String] = []
    var errors: [Diagnostic] = []
    var inventory = PlanInventory()
    /// The targeted external ids (`--target` resolved), nil for a full plan.
    var targets: Set<String>?
    /// Addresses of projects whose final membership has members but no owner, and that the plan touches.
    var ownerless: [String] = []

    /// Users by normalised email; more than one under an email is an ambiguity the plan reports.
    private let usersByEmail: [String: [User]]
    /// The manifests as of the plan's UTC day: `desired` is its state (expired entries count as absent).
    let evaluation: AccessEvaluation
    /// The offboarded people by normalised email: their memberships are planned by `planOffboarding` only.
    private let offboarded: [String: OffboardedPerson]
    /// The same emails in order, so that a "did you mean" between equally close ones is always the same.
    private let knownEmails: [String]

    init(desired: DesiredState, observed: ObservedState, options: PlanOptions) {
        evaluation = desired.evaluated(asOf: CalendarDay(options.now), warningWindow: options.expiryWarningDays)
        self.desired = evaluation.state
        self.observed = observed
        self.options = options
        usersByEmail = Dictionary(grouping: observed.users, by: { normalizeEmail($0.email) })
        offboarded = Dictionary(desired.offboarded.map { (normalizeEmail($0.email), $0) }, uniquingKeysWith: { first, _ in first })
        knownEmails = usersByEmail.keys.sorted()
    }

    private func isManaged(_ project: Project) -> Bool {
        OwnershipRule.manages(project: project.externalID, prefix: desired.externalIDPrefix)
    }

    private func isTargeted(_ externalID: String?) -> Bool {
        guard let targets else { return true }
        return externalID.map(targets.contains) ?? false
    }

    mutating func run() {
        let matching = ProjectMatching(desired: desired, projects: observed.projects)
        errors += matching.errors

        let managed = observed.projects.filter(isManaged)
        if let requested = options.targets {
            let known = Set(desired.projects.map(\.externalID)).union(managed.compactMap(\.externalID))
            let resolved = resolveTargets(requested, known: known)
            targets = resolved.ids
            for target in resolved.unmatched {
                let guess = Suggestion.closest(to: target, in: known).map { "; did you mean \(projectAddress($0))?" } ?? ""
                errors.append(Diagnostic(.error, at: nil, "--target \(target) matches no project in the manifests or in Cogram\(guess)"))
            }
        }
        inventory = PlanInventory(
            managedActiveProjects: managed.filter { $0.status == .active }.count,
            managedMemberships: managed.reduce(0) { $0 + (observed.members[$1.id]?.count ?? 0) },
            projects: observed.projects.count,
            users: observed.users.count)

        for (index, project) in desired.projects.enumerated() {
            // Emails are checked for every project, targeted or not: a wrong email is a manifest error.
            let users = resolveMembers(project)
            guard isTargeted(project.externalID) else { continue }
            if let match = matching.matches[index] {
                planExisting(project, match: match, users: users)
            } else if !matching.unresolved.contains(index) {
                planCreate(project, users: users)
            }
        }

        let claimed = matching.claimedIDs
        for project in managed where project.status == .active && !claimed.contains(project.id) && isTargeted(project.externalID)
            && !matching.ambiguousExternalIDs.contains(project.externalID!) {
            changes.append(Change(
                .archive, address: .project(project.externalID!),
                precondition: .project(updatedAt: project.updatedAt, status: .active),
                target: ChangeTarget(projectID: project.id, projectExternalID: project.externalID),
                reason: "listed in no manifest", projectName: project.name))
        }

        planUsers()
        planOffboarding()
    }

    // MARK: Projects

    private mutating func planCreate(_ d: DesiredProject, users: [User?]) {
        let address = ChangeAddress.project(d.externalID)
        if d.archived {
            warnings.append("\(d.location): \(address) is `archived: true` but does not exist in Cogram; it is not created")
            return
        }
        changes.append(Change(
            .create(name: d.name, description: d.description.value), address: address,
            precondition: .projectAbsent(externalID: d.externalID),
            target: ChangeTarget(projectExternalID: d.externalID)))
        if let members = d.members {
            planMembers(d, projectID: nil, observedMembers: [], desiredMembers: members, users: users)
        }
    }

    private mutating func planExisting(_ d: DesiredProject, match: ProjectMatching.Match, users: [User?]) {
        let p = match.project
        let address = ChangeAddress.project(d.externalID)
        let target = ChangeTarget(projectID: p.id, projectExternalID: d.externalID)
        guard let status = p.status.known else {
            // Neither "active" nor "archived": what a write would mean for it cannot be known.
            warnings.append("\(d.location): \(address) (\(p.id)) has status \(quoted(p.status.rawValue)), which cogramctl does not know; it is left alone")
            return
        }
        let precondition = Precondition.project(updatedAt: p.updatedAt, status: status)

        if d.archived {
            // `archived: true` manages the status only: an archived project's fields and members are left alone.
            if p.status == .active {
                changes.append(Change(
                    .archive, address: address, precondition: precondition, target: target, reason: "archived: true", projectName: p.name))
            }
            if let members = d.members, !members.isEmpty {
                warnings.append("\(d.location): \(address) is `archived: true`; its members are not managed")
            }
            return
        }

        var fields = ProjectEdit()
        if p.name != d.name {
            fields.before.name = p.name
            fields.after.name = d.name
        }
        if let (old, new) = nullableFieldChange(d.description, live: p.description) {
            fields.before.description = old
            fields.after.description = new
        }
        if p.externalID != d.externalID {
            fields.before.externalID = PatchField(live: p.externalID)
            fields.after.externalID = .value(d.externalID)
        }
        if p.status == .archived {
            // A restore carries the field changes in the same PATCH: one request, one change to review.
            changes.append(Change(.restore(fields), address: address, precondition: precondition, target: target))
        } else if !fields.isEmpty {
            changes.append(Change(.update(fields), address: address, precondition: precondition, target: target))
        }

        guard let members = d.members else { return }
        guard let current = observed.members[p.id] else {
            warnings.append("\(d.location): the members of \(address) were not read; its membership is left unchanged")
            return
        }
        planMembers(d, projectID: p.id, observedMembers: current, desiredMembers: members, users: users)
    }

    // MARK: Members

    /// Checks every member email against the organization's users; returns the active user of each of `d.members`
    /// (nil where there is none), in order.
    private mutating func resolveMembers(_ d: DesiredProject) -> [User?] {
        guard let members = d.members, !members.isEmpty else { return [] }
        var found: [User?] = []
        found.reserveCapacity(members.count)
        for member in members {
            found.append(activeUser(
                member.email, normalized: member.normalizedEmail, location: member.location,
                what: "member of project \(quoted(d.externalID))"))
        }
        return found
    }

    /// `users` holds the active user of each of `desiredMembers`, in order (see `resolveMembers`).
    private mutating func planMembers(
        _ d: DesiredProject, projectID: String?, observedMembers: [Member], desiredMembers: [DesiredMember], users: [User?]
    ) {
        let precondition: (Member?) -> Precondition = { $0.map { .member(role: $0.role) } ?? .memberAbsent }
        // The observed members by normalized email, as indices into `observedMembers`; `matched` marks the ones some
        // desired member names. One hash per member and per desired member: this loop runs for every membership.
        var current: [String: Int] = [:]
        current.reserveCapacity(observedMembers.count)
        for (index, member) in observedMembers.enumerated() {
            guard current.updateValue(index, forKey: normalizeEmail(member.email)) == nil else {
                reportDuplicateMembers(observedMembers, of: d)
                return
            }
        }
        var matched = [Bool](repeating: false, count: observedMembers.count)
        let anyOffboarded = !offboarded.isEmpty
        var changed = false
        for (position, member) in desiredMembers.enumerated() {
            let email = member.normalizedEmail
            let found = current[email]
            if let found { matched[found] = true }
            guard !anyOffboarded || offboarded[email] == nil else { continue }  // planned by planOffboarding
            guard let user = users[position] else { continue }  // reported as a plan error already
            let role = member.role
            if let found {
                let existing = observedMembers[found]
                if existing.role != role {
                    let expired = evaluation.expiredEntry(project: d.externalID, email: email)
                    changes.append(Change(
                        .updateMember(from: existing.role, to: role), address: .member(d.externalID, email: email),
                        precondition: precondition(existing),
                        target: ChangeTarget(projectID: projectID, projectExternalID: d.externalID, userID: user.id, email: email),
                        reason: expired?.reason, projectName: d.name, cause: expired.map(\.cause) ?? cause(of: member, in: d)))
                    changed = true
                }
            } else {
                changes.append(Change(
                    .addMember(role), address: .member(d.externalID, email: email), precondition: .memberAbsent,
                    target: ChangeTarget(projectID: projectID, projectExternalID: d.externalID, userID: user.id, email: email),
                    projectName: d.name, cause: cause(of: member, in: d)))
                changed = true
            }
        }
        for (index, member) in observedMembers.enumerated() where !matched[index] {
            let email = normalizeEmail(member.email)
            guard !anyOffboarded || offboarded[email] == nil else { continue }
            let expired = evaluation.expiredEntry(project: d.externalID, email: email)
            changes.append(Change(
                .removeMember(from: member.role), address: .member(d.externalID, email: email),
                precondition: precondition(member),
                target: ChangeTarget(projectID: projectID, projectExternalID: d.externalID, userID: member.userID, email: email),
                reason: expired?.reason, projectName: d.name,
                cause: expired.map(\.cause) ?? AccessCause(.manifest, at: d.location)))
            changed = true
        }
        if changed, !desiredMembers.isEmpty, !desiredMembers.contains(where: { $0.role == .owner }) {
            ownerless.append(projectAddress(d.externalID))
        }
    }

    /// Cogram lists one email more than once among a project's members: which one the manifest means is unknown.
    private mutating func reportDuplicateMembers(_ observedMembers: [Member], of d: DesiredProject) {
        let grouped = Dictionary(grouping: observedMembers, by: { normalizeEmail($0.email) })
        for (email, found) in grouped where found.count > 1 {
            errors.append(Diagnostic(.error, at: d.location, "\(email) is listed \(found.count) times among the members of \(projectAddress(d.externalID)) in Cogram (users \(idList(found.map(\.userID)))); cogramctl cannot tell which one the manifest means. Fix the duplicate users in the Cogram app, then plan again"))
        }
    }

    /// The entry that grants `member` its role in `d`: a direct entry, or a group's member entry (lasting only as
    /// long as both it and the project's reference to the group last).
    private func cause(of member: DesiredMember, in d: DesiredProject) -> AccessCause {
        guard let group = member.group else { return AccessCause(.manifest, at: member.location, expires: member.expires) }
        let referenceExpiry = (d.memberEntries ?? []).compactMap { entry -> CalendarDay? in
            if case .group(let reference) = entry, reference.name == group { return reference.expires }
            return nil
        }.min()
        let expires = [member.expires, referenceExpiry].compactMap { $0 }.min()
        return AccessCause(.group(group), at: member.location, expires: expires)
    }

    // MARK: Users

    /// `what` is only built for a message: this runs for every member of every project.
    private mutating func activeUser(
        _ email: String, normalized key: String, location: SourceLocation, what: @autoclosure () -> String
    ) -> User? {
        let found = usersByEmail[key] ?? []
        guard let user = found.first else {
            let fix = Suggestion.closest(to: key, in: knownEmails).map { "did you mean \($0)? Otherwise fix the email, or invite them in the Cogram app first" }
                ?? "invite them in the Cogram app first, or fix the email"
            errors.append(Diagnostic(.error, at: location, "\(email) (\(what())) is not a user of the organization; \(fix)"))
            return nil
        }
        guard found.count == 1 else {
            errors.append(Diagnostic(.error, at: location, "\(email) (\(what())) is the email of \(found.count) Cogram users (\(idList(found.map(\.id)))); cogramctl cannot tell which one is meant. Fix the duplicate users in the Cogram app, then plan again"))
            return nil
        }
        guard user.status.known != nil else {
            // Not known to be active: leave them alone rather than guess; a member list keeps them where they are.
            warnings.append("\(location): \(email) (\(what())) has status \(quoted(user.status.rawValue)), which cogramctl does not know; their changes are left out")
            return nil
        }
        guard user.status == .active else {
            errors.append(Diagnostic(
                .error, at: location,
                "\(email) (\(what())) is deactivated in Cogram; remove them from the manifest or reactivate them in the app"))
            return nil
        }
        return user
    }

    private mutating func planUsers() {
        for d in desired.users where offboarded[d.normalizedEmail] == nil {
            guard let user = activeUser(d.email, normalized: d.normalizedEmail, location: d.location, what: "user") else { continue }
            // `--target` limits the plan to projects; user changes wait for an untargeted plan.
            guard targets == nil else { continue }
            var fields = UserEdit()
            if let role = d.role, user.role != role {
                fields.before.role = user.role
                fields.after.role = role
            }
            if let (old, new) = nullableFieldChange(d.externalID, live: user.externalID) {
                fields.before.externalID = old
                fields.after.externalID = new
            }
            guard !fields.isEmpty else { continue }
            let email = d.normalizedEmail
            let expired = fields.after.role == nil ? nil : evaluation.expiredUserEntry(email: email)
            let cause = fields.after.role == nil
                ? nil : expired.map(\.cause) ?? AccessCause(.manifest, at: d.location, expires: d.expires)
            changes.append(Change(
                .updateUser(fields), address: .user(email: email),
                precondition: .user(role: user.role, externalID: user.externalID),
                target: ChangeTarget(userID: user.id, email: email),
                reason: expired?.reason, cause: cause))
        }
    }

    // MARK: Offboarding

    /// Every membership of an offboarded person, in every project read (managed or not, keyed or not, active or
    /// archived), becomes a removal with reason `offboarded (file:line)`; `org_role` becomes a user update.
    private mutating func planOffboarding() {
        guard !offboarded.isEmpty else { return }
        let people = desired.offboarded
        var stillInOrganization: [String] = []
        var removedByProject: [String: Set<String>] = [:]
        for person in people where offboarded[normalizeEmail(person.email)] == person {
            let email = normalizeEmail(person.email)
            let reason = "offboarded (\(person.location.file):\(person.location.line))"
            let cause = AccessCause(.offboarded, at: person.location)
            let found = usersByEmail[email] ?? []
            guard !found.isEmpty else {
                warnings.append("\(person.location): offboarded \(email) is not a user of the organization; nothing to do")
                continue
            }
            for user in found {
                for project in observed.projects.sorted(by: { $0.id < $1.id }) {
                    guard isTargeted(project.externalID),
                          let member = observed.members[project.id]?.first(where: { $0.userID == user.id }) else { continue }
                    let where_: ChangeAddress.Project = project.externalID.map { .externalID($0) } ?? .id(project.id)
                    changes.append(Change(
                        .removeMember(from: member.role), address: .member(where_, email: email),
                        precondition: .member(role: member.role),
                        target: ChangeTarget(projectID: project.id, projectExternalID: project.externalID, userID: user.id, email: email),
                        reason: reason, projectName: project.name, cause: cause))
                    removedByProject[project.id, default: []].insert(user.id)
                }
                if user.status.known == .active { stillInOrganization.append(email) }
                guard let role = person.orgRole, targets == nil else { continue }
                guard user.status.known == .active else {
                    warnings.append("\(person.location): offboarded \(email) is deactivated in Cogram; org_role \(role.rawValue) is not set (their memberships are still removed)")
                    continue
                }
                if user.role != role {
                    var fields = UserEdit()
                    fields.before.role = user.role
                    fields.after.role = role
                    changes.append(Change(
                        .updateUser(fields), address: .user(email: email),
                        precondition: .user(role: user.role, externalID: user.externalID),
                        target: ChangeTarget(userID: user.id, email: email), reason: reason, cause: cause))
                }
            }
        }
        for project in observed.projects.sorted(by: { $0.id < $1.id }) {
            guard let removed = removedByProject[project.id], let members = observed.members[project.id] else { continue }
            let left = members.filter { !removed.contains($0.userID) }
            if members.contains(where: { $0.role == .owner }), !left.isEmpty, !left.contains(where: { $0.role == .owner }) {
                let name = project.externalID.map(projectAddress) ?? ChangeAddress.project(.id(project.id)).description
                warnings.append("offboarding leaves \(name) (\(escapeForTerminal(project.name))) without an owner; name a new owner in the app or in its manifest")
            }
        }
        let archived = Set(observed.projects.filter { $0.status == .archived }.map(\.id))
        let fromArchived = changes.filter { $0.isOffboarding && $0.action == .removeMember && archived.contains($0.target.projectID ?? "") }
        if !fromArchived.isEmpty {
            let list = fromArchived.prefix(5).map { escapeForTerminal($0.address.description) }.joined(separator: ", ")
            let more = fromArchived.count > 5 ? " and \(fromArchived.count - 5) more" : ""
            warnings.append("\(fromArchived.count == 1 ? "1 offboarding removal is" : "\(fromArchived.count) offboarding removals are") from an archived project (\(list)\(more)): where Cogram refuses it (409 conflict), apply keeps the membership as a warning, not a failure, and it stays in this warning and in `cogramctl access`")
        }
        if targets != nil {
            warnings.append("offboarding was limited to the --target projects; plan without --target to remove every membership of the offboarded people")
        }
        if !stillInOrganization.isEmpty {
            warnings.append("the Cogram API cannot remove a user from the organization: remove \(stillInOrganization.joined(separator: ", ")) in the Cogram app (Settings > Administration > Users)")
        }
    }
}

extension Change {
    /// A removal that `offboarded:` asks for: no safety cap counts it.
    public var isOffboarding: Bool { reason?.hasPrefix("offboarded (") == true }

    /// What apply says when the API refuses an offboarding removal with 409 (an archived project).
    public static let archivedRefusalWarning = "Cogram refused to remove the member (409 conflict: the project is archived?); "
        + "the membership stays, later plans keep listing it with a warning and `cogramctl access` lists it under "
        + "offboarded people with access. Restore the project in the app, or remove the member there"
}

func projectAddress(_ externalID: String) -> String { ChangeAddress.project(externalID).description }
