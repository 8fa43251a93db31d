import CogramAPI
import CogramManifest
import Foundation

/// A saved plan file (`plan --out`) as `apply PLANFILE` reads it.
public enum SavedPlanFile {
    /// Why a file that looks like a saved plan cannot be applied.
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(escapeForTerminal(path)) is not a plan this cogramctl can apply: \(escapeForTerminal(reason))" }
    }

    /// The plan in `path` when it is a saved plan (a JSON object with `kind` or `format_version`); nil for
    /// manifests (a directory, YAML, or JSON that is no plan); `Unreadable` for a plan that does not load.
    public static func load(path: String) throws(Unreadable) -> Plan? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path),
              data.first(where: { !(" \t\r\n".utf8.contains($0)) }) == UInt8(ascii: "{")
        else { return nil }
        guard let object = JSONValue(json: data)?.objectValue, object["kind"] != nil || object["format_version"] != nil
        else { return nil }
        do {
            return try Plan.load(from: data)
        } catch {
            throw Unreadable(path: path, reason: "\(error)")
        }
    }
}

/// The checks `apply PLANFILE` makes before it sends anything, in order: the signature (nothing in an
/// unauthenticated file is acted on, or even printed), expiry and API, the digest of the manifests it was made
/// from (a fast first test), the safety caps measured against what Cogram has now (not counts in the file), the
/// preconditions (a change already made counts as done: applying a plan again finishes it), then, with
/// `--manifests`, a new plan of those manifests that must call for every change not yet done.
public enum SavedPlanVerification {
    public enum Verdict: Sendable {
        /// Apply `plan`: the saved plan without the changes Cogram already shows (`alreadyDone` of them).
        case ready(plan: Plan, alreadyDone: Int)
        /// Nothing to do: an empty plan, or one whose every change is already made (`alreadyDone`).
        case nothingToDo(alreadyDone: Int)
        /// Unsigned, altered, expired, for another API, or from other manifests: exit 3, nothing applied.
        case invalid(reason: String)
        /// The key reads an organization without the plan's recorded anchor: exit 1, nothing applied.
        case wrongOrganization(AnchorMismatch)
        /// Refused by a safety cap: exit 4, nothing applied.
        case refused([SafetyViolation])
        /// Cogram moved since the plan was made: exit 3, nothing applied.
        case stale([PreconditionFailure])
    }

    /// The manifests a plan is checked against (`apply PLANFILE --manifests PATH…`).
    public struct Manifests: Sendable {
        /// The paths, as the user wrote them (named in the message).
        public var paths: [String]
        /// Computes their digest; called only after the signature passed.
        public var digest: @Sendable () throws -> String
        /// Their `manifest_files` (relative path → sha256), to name the files that changed.
        public var files: [String: String]
        /// Plans them against Cogram as it is now; called only after the signature passed, whatever the digest.
        public var replan: @Sendable () async throws -> Plan

        public init(
            paths: [String], digest: @escaping @Sendable () throws -> String, files: [String: String] = [:],
            replan: @escaping @Sendable () async throws -> Plan
        ) {
            self.paths = paths
            self.digest = digest
            self.files = files
            self.replan = replan
        }
    }

    /// The reason for a plan whose manifests changed since it was made.
    public static func manifestsChanged(_ paths: [String], files: [String] = []) -> String {
        let named = files.isEmpty ? "" : " (changed, added or gone: \(files.prefix(20).map(escapeForTerminal).joined(separator: ", "))\(files.count > 20 ? " and \(files.count - 20) more" : ""))"
        return "the manifests changed since the plan was made: \(paths.map(escapeForTerminal).joined(separator: " ")) no longer produce this plan (manifest_digest differs)\(named). Plan again from the current manifests and review that plan."
    }

    /// The reason for saved changes that the manifests do not call for (any more, or ever).
    public static func notCalledFor(_ changes: [Change], paths: [String]) -> String {
        let list = changes.prefix(10).map { escapeForTerminal("\($0.action.rawValue) \($0.address)") }.joined(separator: "; ")
        let more = changes.count > 10 ? "; and \(changes.count - 10) more" : ""
        return "the manifests at \(paths.map(escapeForTerminal).joined(separator: " ")) do not call for \(changes.count == 1 ? "this change" : "these \(changes.count) changes") of the saved plan: \(list)\(more). A plan may only do what the merged manifests ask for; plan again from them and review that plan."
    }

    public static func verify(
        _ plan: Plan, key: PlanSigningKey, apiURL: String, manifests: Manifests?, options: PlanOptions,
        client: some CogramClientProtocol, parallelism: Int, now: Date = Date(), keySource: String = "COGRAM_API_KEY"
    ) async throws -> Verdict {
        do {
            try plan.verifySignature(with: key)
            try plan.validateForApply(apiURL: apiURL, now: now)
        } catch {
            return .invalid(reason: "\(error)")
        }
        // Right after the signature, before anything is compared: a key of another organization explains every
        // later difference, and nothing may be written with it.
        if let mismatch = try await anchorMismatch(plan: plan, client: client, keySource: keySource) {
            return .wrongOrganization(mismatch)
        }
        if let manifests, try manifests.digest() != plan.manifestDigest {
            let files = plan.manifestFiles.map { ManifestDigest.changedFiles($0, manifests.files) } ?? []
            return .invalid(reason: manifestsChanged(manifests.paths, files: files))
        }
        if plan.isEmpty { return .nothingToDo(alreadyDone: 0) }
        let inventory = try await liveInventory(plan: plan, client: client, parallelism: parallelism)
        let violations = safetyViolations(plan: plan, options: options, inventory: inventory)
        if !violations.isEmpty { return .refused(violations) }
        let moved = try await checkPreconditions(plan: plan, client: client, parallelism: parallelism)
        let stale = moved.filter { !$0.matchesPlan }
        if !stale.isEmpty { return .stale(moved) }
        let done = Set(moved.map(\.address))
        let remaining = remainder(of: plan, done: moved)
        if let manifests {
            let fresh = try await manifests.replan()
            let missing = remaining.changes.filter { !fresh.callsFor($0) }
            if !missing.isEmpty { return .invalid(reason: notCalledFor(missing, paths: manifests.paths)) }
        }
        if remaining.changes.isEmpty { return .nothingToDo(alreadyDone: done.count) }
        return .ready(plan: remaining, alreadyDone: plan.changes.count - remaining.changes.count)
    }

    /// The anchor the plan recorded, checked against the users `client` reads; nil when it is there, or when the
    /// plan records none (unbound manifests, or a plan saved before plans recorded the organization).
    static func anchorMismatch(
        plan: Plan, client: some CogramClientProtocol, keySource: String
    ) async throws -> AnchorMismatch? {
        guard let section = plan.organization?.section, section.anchor != nil else { return nil }
        do {
            try checkAnchor(organization: section, users: try await client.listUsers(email: nil), keySource: keySource)
            return nil
        } catch let mismatch as AnchorMismatch {
            return mismatch
        }
    }

    /// `plan` without the changes Cogram already shows. The members of a project whose create is done get that
    /// project's id, which apply would otherwise have learnt from the create.
    static func remainder(of plan: Plan, done: [PreconditionFailure]) -> Plan {
        let doneAddresses = Set(done.map(\.address))
        var createdIDs: [String: String] = [:]
        for change in plan.changes where change.action == .create && doneAddresses.contains(change.address.description) {
            if let externalID = change.target.projectExternalID,
               let id = done.first(where: { $0.address == change.address.description })?.projectID {
                createdIDs[externalID] = id
            }
        }
        var out = plan
        out.changes = plan.changes.compactMap { change in
            guard !doneAddresses.contains(change.address.description) else { return nil }
            var change = change
            if change.target.projectID == nil, let e = change.target.projectExternalID, let id = createdIDs[e] {
                change.target.projectID = id
            }
            return change
        }
        return out
    }
}

extension Plan {
    /// Whether this plan has a change with the same action and address as `saved` whose `after` holds every field
    /// and value of `saved`'s (`spec/cli.md`, "Saved plans").
    func callsFor(_ saved: Change) -> Bool {
        changes.contains { change in
            guard change.action == saved.action, change.address == saved.address else { return false }
            guard let wanted = saved.after else { return true }
            guard let have = change.after, let wantedFields = Self.fields(wanted), let haveFields = Self.fields(have)
            else { return false }
            return wantedFields.allSatisfy { haveFields[$0.key] == $0.value }
        }
    }

    private static func fields(_ fields: ChangeFields) -> [String: JSONValue]? {
        guard let data = try? JSONEncoder().encode(fields) else { return nil }
        return JSONValue(json: data)?.objectValue
    }
}
