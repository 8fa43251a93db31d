import CogramAPI
import Foundation

/// The order in which apply runs the changes: everything that makes projects exist comes before the member
/// changes that need them; removals, owner downgrades and archives come last, so that an apply that stops halfway
/// has added before it took away, and a project's new owner is in place before its old one goes.
enum ApplyPhase: Int, CaseIterable {
    case projects, additions, users, removals, archives

    init(_ change: Change) {
        switch change.action {
        case .create, .restore, .update: self = .projects
        case .addMember: self = .additions
        case .updateMember: self = change.isOwnerDowngrade ? .removals : .additions
        case .updateUser: self = .users
        case .removeMember: self = .removals
        case .archive: self = .archives
        }
    }
}

extension Change {
    /// A role change that takes `owner` away.
    var isOwnerDowngrade: Bool {
        if case .updateMember(let from, let to) = edit { from == .owner && to != .owner } else { false }
    }

    /// A removal or owner downgrade: what may leave a project without its owner.
    var takesAccessAway: Bool { action == .removeMember || isOwnerDowngrade }
}

/// Executes a plan: phase by phase (see `applyPhases`), at most `parallelism` changes at a time within a phase.
///
/// Never throws: every change ends as done, reconciled, failed or skipped in the report. A failure does not
/// stop independent changes; a failed create (or restore) skips that project's member changes. When `stop`
/// is set, running changes finish and the rest are skipped as interrupted.
public func apply(
    plan: Plan, client: some CogramClientProtocol, parallelism: Int = 8, stop: StopFlag = StopFlag(),
    progress: @escaping @Sendable (ProgressEvent) -> Void = { _ in }
) async -> ApplyReport {
    let state = ApplyState(changes: plan.changes, progress: progress)
    let executor = ChangeExecutor(client: client, state: state, allowNoOwner: plan.safetyOverrides.allowNoOwner)
    let width = max(1, parallelism)

    for phase in ApplyPhase.allCases {
        let indices = plan.changes.indices.filter { ApplyPhase(plan.changes[$0]) == phase }
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for index in indices {
                if running >= width {
                    await group.next()
                    running -= 1
                }
                if stop.isStopped {
                    await state.skipUnstarted(index)
                    continue
                }
                let change = plan.changes[index]
                group.addTask {
                    let outcome = await executor.execute(change)
                    await state.finish(index, outcome)
                }
                running += 1
            }
        }
    }
    return await state.report(interrupted: stop.isStopped)
}

// MARK: - Shared state of one apply

private actor ApplyState {
    let changes: [Change]
    let progress: @Sendable (ProgressEvent) -> Void
    var outcomes: [Int: ApplyOutcome] = [:]
    /// Changes that ran to an outcome; interrupted skips are not among them.
    var finished = 0
    var writes = 0
    /// Project ids by external id: those the plan knew, then those learnt from creates.
    var projectIDs: [String: String] = [:]
    /// Why a project the plan creates or restores is not there, by external id.
    var unavailable: [String: String] = [:]
    /// Additions and upgrades that did not succeed, by project external id: that project's removals wait.
    var unfinishedAdditions: [String: [String]] = [:]

    init(changes: [Change], progress: @escaping @Sendable (ProgressEvent) -> Void) {
        self.changes = changes
        self.progress = progress
        for change in changes {
            if let e = change.target.projectExternalID, let id = change.target.projectID { projectIDs[e] = id }
        }
    }

    /// Records a change left out because apply was stopped. It ran no request, so no progress event counts it
    /// as finished: the counter says how many changes ran, not how many were decided.
    func skipUnstarted(_ index: Int) {
        outcomes[index] = .skipped("interrupted")
    }

    func finish(_ index: Int, _ outcome: ApplyOutcome) {
        finished += 1
        outcomes[index] = outcome
        let change = changes[index]
        if ApplyPhase(change) == .additions, !outcome.isSuccess, let e = change.target.projectExternalID {
            unfinishedAdditions[e, default: []].append(change.address.description)
        }
        progress(ProgressEvent(
            result: ChangeResult(action: change.action, address: change.address.description, outcome: outcome),
            completed: finished, total: changes.count))
    }

    func countWrite() { writes += 1 }

    func learn(externalID: String, projectID: String) { projectIDs[externalID] = projectID }

    func markUnavailable(externalID: String, reason: String) { unavailable[externalID] = reason }

    /// The project id a member change works on, or why it cannot run.
    func project(for change: Change) -> Result<String, ProjectUnavailable> {
        if let e = change.target.projectExternalID, let reason = unavailable[e] {
            return .failure(ProjectUnavailable(reason: reason))
        }
        if let id = change.target.projectID ?? change.target.projectExternalID.flatMap({ projectIDs[$0] }) {
            return .success(id)
        }
        return .failure(ProjectUnavailable(reason: "the project's id is unknown (its create did not run)"))
    }

    /// Why a removal or owner downgrade must not run: an addition or upgrade of its project did not succeed.
    func additionsUnfinished(for change: Change) -> String? {
        guard let e = change.target.projectExternalID, let addresses = unfinishedAdditions[e], !addresses.isEmpty else {
            return nil
        }
        let list = addresses.sorted().joined(separator: ", ")
        return "not run because \(list) did not succeed; a project's removals and owner downgrades wait for its additions, run apply again once they succeed"
    }

    /// The plan's changes to the members of one project: user id → role after the plan (nil: removed).
    func plannedMembership(projectExternalID: String) -> [String: ProjectRole?] {
        var out: [String: ProjectRole?] = [:]
        for change in changes where change.target.projectExternalID == projectExternalID {
            guard let userID = change.target.userID else { continue }
            switch change.action {
            case .removeMember: out[userID] = .some(nil)
            case .addMember, .updateMember: out[userID] = .some(change.edit.memberRoleToSet)
            default: break
            }
        }
        return out
    }

    func report(interrupted: Bool) -> ApplyReport {
        let results = changes.indices.map { index in
            ChangeResult(
                action: changes[index].action, address: changes[index].address.description,
                outcome: outcomes[index] ?? .skipped("not run"))
        }
        return ApplyReport(results: results, writes: writes, interrupted: interrupted)
    }
}

private struct ProjectUnavailable: Error {
    var reason: String
}

// MARK: - One change

private struct ChangeExecutor<Client: CogramClientProtocol>: Sendable {
    let client: Client
    let state: ApplyState
    /// The plan was made with `--allow-no-owner`: a project may be left with members but no owner.
    let allowNoOwner: Bool

    func execute(_ change: Change) async -> ApplyOutcome {
        do {
            switch change.action {
            case .create: return try await create(change)
            case .update, .restore: return try await patchProject(change)
            case .archive: return try await archive(change)
            case .addMember, .updateMember: return try await putMember(change)
            case .removeMember: return try await removeMember(change)
            case .updateUser: return try await updateUser(change)
            }
        } catch {
            return .failed(describe(error))
        }
    }

    private func write<T>(_ call: () async throws -> T) async throws -> T {
        await state.countWrite()
        return try await call()
    }

    // MARK: Projects

    private func create(_ change: Change) async throws -> ApplyOutcome {
        guard case .create(let name, let description) = change.edit, let externalID = change.target.projectExternalID else {
            throw PlanDefect(change: change, missing: "after.name or target.project_external_id")
        }
        let body = ProjectCreate(name: name, description: description, externalID: externalID)
        do {
            let project = try await write { try await client.createProject(body, retrySafe: true) }
            await state.learn(externalID: externalID, projectID: project.id)
            return .done
        } catch {
            // A 409 means the external_id exists: typically our own earlier attempt whose answer was lost.
            // A 5xx or a lost answer may also have created it. In both cases, read it back and converge.
            // Any other 4xx is a definite refusal.
            let status = apiStatus(error)
            let conflict = status == 409
            if let status, status != 409, (400..<500).contains(status) {
                await state.markUnavailable(externalID: externalID, reason: "\(change.address) was not created")
                return .failed(describe(error))
            }
            // Past the deadline no read can start: the error itself says what is known of the create.
            if case .timeout(let timeout)? = error as? CogramAPIError, timeout.phase == .deadline {
                await state.markUnavailable(externalID: externalID, reason: "\(change.address) may not have been created")
                return .failed(describe(error))
            }
            do {
                let existing: ProjectCarrying
                switch try await readProjects(carrying: externalID, client: client) {
                case .one(let found) where found.project.status.known == nil:
                    await state.markUnavailable(externalID: externalID, reason: "\(change.address) was not created")
                    return .failed(
                        "\(describe(error)); project \(found.id) with that external_id has status \(quoted(found.project.status.rawValue)), which cogramctl does not know, so it was left alone")
                case .one(let found): existing = found
                case .none:
                    await state.markUnavailable(externalID: externalID, reason: "\(change.address) was not created")
                    return .failed(describe(error))
                case .several(let projects):
                    await state.markUnavailable(externalID: externalID, reason: "\(change.address) was not created")
                    return .failed(
                        "\(describe(error)); reading it back found several projects with external_id \(quoted(externalID)) (\(idList(projects.map(\.id)))), so none was adopted; give all but one another external_id in the Cogram app")
                }
                try await reconcile(existing, name: name, description: description.map { .value($0) } ?? .absent)
                await state.learn(externalID: externalID, projectID: existing.id)
                return .reconciled(conflict ? "reconciled after conflict" : "reconciled after error: \(describe(error))")
            } catch let readError {
                // The create's own error comes first: the read only failed to settle what it left unknown.
                await state.markUnavailable(externalID: externalID, reason: "\(change.address) was not created")
                return .failed("\(describe(error)); reading the project back failed too: \(describe(readError))")
            }
        }
    }

    /// Brings a project that a create found already there to the planned name, description and active status.
    /// Takes a `ProjectCarrying`: only a project verified to carry the create's external_id can be written here.
    private func reconcile(_ existing: ProjectCarrying, name: String, description: PatchField<String>) async throws {
        var patch = ProjectPatch()
        let project = existing.project
        if project.name != name { patch.name = name }
        if case .value(let d) = description, project.description != d { patch.description = .value(d) }
        if project.status != .active { patch.status = .active }
        guard !patch.isEmpty else { return }
        _ = try await write { try await client.updateProject(id: existing.id, patch) }
    }

    private func patchProject(_ change: Change) async throws -> ApplyOutcome {
        let fields: ProjectFields
        let status: ProjectStatus?
        switch change.edit {
        case .update(let e): (fields, status) = (e.after, nil)
        case .restore(let e): (fields, status) = (e.after, .active)
        default: throw PlanDefect(change: change, missing: "project fields")
        }
        guard let id = change.target.projectID else { throw PlanDefect(change: change, missing: "target.project_id") }
        let patch = ProjectPatch(
            name: fields.name, description: fields.description, externalID: fields.externalID.value, status: status)
        do {
            _ = try await write { try await client.updateProject(id: id, patch) }
            return .done
        } catch {
            if change.action == .restore, let e = change.target.projectExternalID {
                await state.markUnavailable(externalID: e, reason: "the restore of \(change.address) failed")
            }
            throw error
        }
    }

    private func archive(_ change: Change) async throws -> ApplyOutcome {
        guard let id = change.target.projectID else { throw PlanDefect(change: change, missing: "target.project_id") }
        // Archiving an archived project is a no-op 200 in the contract: it simply counts as done.
        _ = try await write { try await client.archiveProject(id: id) }
        return .done
    }

    // MARK: Members and users

    private func putMember(_ change: Change) async throws -> ApplyOutcome {
        guard let userID = change.target.userID, let role = change.edit.memberRoleToSet else {
            throw PlanDefect(change: change, missing: "target.user_id or a valid after.role")
        }
        let projectID: String
        switch await state.project(for: change) {
        case .success(let id): projectID = id
        case .failure(let unavailable): return .skipped(unavailable.reason)
        }
        if change.isOwnerDowngrade, let reason = try await ownerGuard(change, projectID: projectID, userID: userID) {
            return .skipped(reason)
        }
        _ = try await write { try await client.putMember(projectID: projectID, userID: userID, role: role) }
        return .done
    }

    /// Why a removal or owner downgrade must not run, or nil when it may. It waits for the project's additions;
    /// and when it takes an owner away, the live membership must keep an owner once the plan's other changes
    /// to this project are made (unless the plan allows no owner).
    private func ownerGuard(_ change: Change, projectID: String, userID: String) async throws -> String? {
        if let reason = await state.additionsUnfinished(for: change) { return reason }
        // Only taking away an owner can leave a project without one: nothing else needs the extra read.
        guard !allowNoOwner, change.edit.memberRoleBefore == .owner,
              let externalID = change.target.projectExternalID else { return nil }
        let live = try await client.listMembers(projectID: projectID)
        guard live.contains(where: { $0.userID == userID && $0.role == .owner }) else { return nil }
        var roles = Dictionary(live.map { ($0.userID, $0.role) }, uniquingKeysWith: { a, _ in a })
        for (user, role) in await state.plannedMembership(projectExternalID: externalID) { roles[user] = role.map(OpenEnum.init) }
        roles[userID] = change.edit.memberRoleToSet.map(OpenEnum.init)
        if !roles.isEmpty, !roles.values.contains(.known(.owner)) {
            return "not run: Cogram shows this member as the last owner of \(projectAddress(externalID)), which would be left with members but no owner"
        }
        return nil
    }

    private func removeMember(_ change: Change) async throws -> ApplyOutcome {
        guard let userID = change.target.userID else { throw PlanDefect(change: change, missing: "target.user_id") }
        let projectID: String
        switch await state.project(for: change) {
        case .success(let id): projectID = id
        case .failure(let unavailable): return .skipped(unavailable.reason)
        }
        if let reason = try await ownerGuard(change, projectID: projectID, userID: userID) { return .skipped(reason) }
        do {
            try await write { try await client.removeMember(projectID: projectID, userID: userID) }
            return .done
        } catch where apiStatus(error) == 404 {
            return .reconciled("already not a member")
        } catch where apiStatus(error) == 409 && change.isOffboarding {
            // The contract lets a member be removed from an archived project; an API that refuses (409, as it
            // refuses additions to archived projects) must not make every later apply fail.
            return .kept(Change.archivedRefusalWarning)
        }
    }

    private func updateUser(_ change: Change) async throws -> ApplyOutcome {
        guard let userID = change.target.userID, case .updateUser(let fields) = change.edit else {
            throw PlanDefect(change: change, missing: "target.user_id or after")
        }
        var patch = UserPatch(externalID: fields.after.externalID)
        patch.role = fields.after.role
        _ = try await write { try await client.updateUser(id: userID, patch) }
        return .done
    }
}

/// A saved plan whose change lacks what apply needs (a hand-edited or damaged file).
private struct PlanDefect: Error, CustomStringConvertible {
    var change: Change
    var missing: String
    var description: String {
        "the plan's \(change.action.rawValue) change of \(change.address) lacks \(missing); the plan file is damaged, run plan again"
    }
}

/// The HTTP status of an error answer, when the error is one.
func apiStatus(_ error: any Error) -> Int? {
    (error as? CogramAPIError)?.status
}

func describe(_ error: any Error) -> String {
    String(describing: error)
}
