import CogramAPI
import CogramManifest
import Foundation
import Synchronization

/// `apply PLANFILE` of a plan set (cli.md, "Plan sets"): which of its plans to apply, and every check they pass
/// before any of them is applied.
public enum PlanSetApply {
    /// `--org` named an organization the set does not hold (exit 1, nothing sent).
    public struct UnknownOrganizations: Error, Sendable, CustomStringConvertible {
        public var names: [String]
        public var description: String {
            names.map { "--org '\(escapeForTerminal($0))' names no organization of the plan set" }.joined(separator: "; ")
                + "; nothing was changed"
        }
    }

    /// The positions (from 0) of the plans of `names`, every plan when `names` is empty. The set must not
    /// contradict itself; its signatures are checked by `plans(_:positions:key:)`.
    public static func positions(_ set: UnverifiedPlanSet, names: [String]) throws -> [Int] {
        let all = try set.unchecked().names
        guard !names.isEmpty else { return Array(all.indices) }
        let unknown = names.filter { !all.contains($0) }
        guard unknown.isEmpty else { throw UnknownOrganizations(names: unknown) }
        return all.indices.filter { names.contains(all[$0]) }
    }

    /// The plans at `positions`, verified. `key` gives the signing key of the plan at a position, nil when it is
    /// not at hand (only for a position not selected). With every key at hand the set's own signature is checked
    /// too: no plan was dropped, added, repeated or moved. Without some (`--org` with only the selected
    /// organizations' keys), each selected plan is checked with its own organization's key, which covers its
    /// name, anchor and key variable; what the set's signature would add is not checked (SECURITY.md).
    public static func plans(
        _ set: UnverifiedPlanSet, positions: [Int], key: (Int) -> PlanSigningKey?
    ) throws -> [Plan] {
        let keys = set.keyVariables.indices.map(key)
        if keys.allSatisfy({ $0 != nil }) {
            let verified = try set.verified { position, _ in
                guard let key = keys[position] else { throw PlanSetError.unsigned }
                return key
            }
            return positions.map { verified.plans[$0] }
        }
        let unchecked = try set.unchecked()
        return try positions.map { position in
            guard let key = keys[position] else { throw PlanSetError.unsigned }
            do throws(PlanValidationError) {
                try unchecked.plans[position].verifySignature(with: key)
            } catch {
                throw PlanSetError.plan(position: position + 1, error)
            }
            return unchecked.plans[position]
        }
    }

    /// One organization's saved plan with what checking it needs.
    public struct Entry<Client: CogramClientProtocol>: Sendable {
        public var run: OrganizationRun<Client>
        public var plan: Plan
        public var key: PlanSigningKey
        /// The API the client speaks to, as a plan records it.
        public var apiURL: String
        public var options: PlanOptions
        public var manifests: SavedPlanVerification.Manifests?

        public init(
            run: OrganizationRun<Client>, plan: Plan, key: PlanSigningKey, apiURL: String, options: PlanOptions,
            manifests: SavedPlanVerification.Manifests?
        ) {
            self.run = run
            self.plan = plan
            self.key = key
            self.apiURL = apiURL
            self.options = options
            self.manifests = manifests
        }
    }

    /// Every organization's plan checked before any is applied: the anchors first, all of them, before anything
    /// else is read (a mismatch anywhere makes every verdict `.wrongOrganization` or the check not run:
    /// `mismatches` is not empty); then each plan as `SavedPlanVerification.verify` checks one, all at once, each with the whole `parallelism`
    /// (every organization has its own key and client, so its own budget).
    /// Nothing is written. The verdicts are in the order of `entries`; an error reading one organization is its own.
    public static func verify<Client>(
        _ entries: [Entry<Client>], parallelism: Int, now: Date = Date()
    ) async throws -> (mismatches: [AnchorMismatch], verdicts: [Result<SavedPlanVerification.Verdict, any Error>]) {
        let mismatches = try await OrganizationRuns.anchorMismatches(entries.map(\.run))
        guard mismatches.isEmpty else { return (mismatches, []) }
        let verdicts = await OrganizationRuns.concurrently(entries) { entry in
            try await SavedPlanVerification.verify(
                entry.plan, key: entry.key, apiURL: entry.apiURL, manifests: entry.manifests, options: entry.options,
                client: entry.run.client, parallelism: parallelism, now: now, keySource: entry.run.keySource)
        }
        return ([], verdicts)
    }
}

extension SavedPlanVerification.Verdict {
    /// The exit status this verdict gives when nothing is applied: 0 ready or nothing to do, 1 another
    /// organization's key, 4 refused by a cap, 3 anything else.
    public var exitCode: Int32 {
        switch self {
        case .ready, .nothingToDo: 0
        case .wrongOrganization: 1
        case .refused: 4
        case .invalid, .stale: 3
        }
    }
}

/// What applying one organization of several came to, for the line of totals.
public struct OrganizationApplyOutcome: Sendable, Hashable {
    /// How far the organization got: its apply ran to the end (whatever it did), was stopped part-way by an
    /// interrupt or `--deadline`, or never started because the run was stopped before it.
    public enum State: String, Sendable, Hashable {
        case finished, interrupted
        case notStarted = "not started"
    }

    public var name: String
    public var exitCode: Int32
    public var applied: Int
    public var failed: Int
    public var state: State = .finished

    /// `Totals: 3 changes applied, 1 failed in 2 organizations (Acme EU: 3 applied, Acme US: 1 failed, exit 1).`
    public static func totalsLine(_ outcomes: [OrganizationApplyOutcome]) -> String {
        let applied = outcomes.reduce(0) { $0 + $1.applied }
        let failed = outcomes.reduce(0) { $0 + $1.failed }
        let each = outcomes.map { outcome in
            if outcome.state == .notStarted { return "\(escapeForTerminal(outcome.name)): not started" }
            var text = "\(escapeForTerminal(outcome.name)): \(outcome.applied) applied"
            if outcome.failed > 0 { text += ", \(outcome.failed) failed" }
            if outcome.state == .interrupted { text += ", interrupted" }
            if outcome.exitCode != 0 { text += ", exit \(outcome.exitCode)" }
            return text
        }.joined(separator: "; ")
        let count = outcomes.count
        return "Totals: \(applied) change\(applied == 1 ? "" : "s") applied, \(failed) failed in \(count) organization\(count == 1 ? "" : "s") (\(each))."
    }
}

/// The reports of the organizations of one apply, as they finish, for the line of totals and the outputs; with
/// `collectsDocuments`, their JSON documents too, written once as a `cogramctl-apply-report-set`.
public final class ApplyTally: Sendable {
    private let recorded = Mutex<[ApplyReport]>([])
    private let recordedDocuments = Mutex<[ApplyReportDocument]>([])
    public let collectsDocuments: Bool

    public init(collectsDocuments: Bool = false) {
        self.collectsDocuments = collectsDocuments
    }

    public func record(_ report: ApplyReport) { recorded.withLock { $0.append(report) } }

    public func record(_ document: ApplyReportDocument) { recordedDocuments.withLock { $0.append(document) } }

    public var reports: [ApplyReport] { recorded.withLock { $0 } }

    public var documents: [ApplyReportDocument] { recordedDocuments.withLock { $0 } }
}

// MARK: - Reading and keys

extension PlanSetApply {
    /// The plan set in `path`, before anything in it is trusted; nil when the file does not say it is one (a
    /// single plan, manifests). A file that says so but does not read as one throws (exit 3).
    public static func read(path: String) throws(PlanSetError) -> UnverifiedPlanSet? {
        guard let data = FileManager.default.contents(atPath: path),
              JSONValue(json: data)?.objectValue?["kind"]?.stringValue == PlanSet.kind
        else { return nil }
        return try UnverifiedPlanSet(data: data)
    }

    /// The signing key of each plan of `set` by position: `COGRAM_PLAN_KEY` when set, else derived from the API
    /// key of the organization, from `resolved` (the selected organizations' keys, by position) or from the
    /// variable the plan records. A position whose key is not at hand has none.
    public static func signingKeys(
        _ set: UnverifiedPlanSet, resolved: [Int: APIKey], environment: [String: String]
    ) -> [Int: PlanSigningKey] {
        var keys: [Int: PlanSigningKey] = [:]
        for position in set.keyVariables.indices {
            if let secret = environment["COGRAM_PLAN_KEY"], !secret.isEmpty {
                keys[position] = .fromSecret(secret)
            } else if let key = resolved[position]
                ?? (try? ClientSettings.resolveAPIKey(apiKeyFile: nil, variable: set.keyVariables[position], environment: environment)) {
                keys[position] = .derived(fromAPIKey: key.unredactedValue)
            }
        }
        return keys
    }
}

// MARK: - Applying in order

extension PlanSetApply {
    /// What `applyInOrder` reports for an organization before (or instead of) applying it.
    public enum Event: Sendable {
        /// The organization's section starts.
        case heading(String)
        /// Its plan passed, another organization's did not: nothing applied in it.
        case notApplied
        /// Reading it failed while checking: nothing applied in it.
        case failed(any Error)
        /// The run was stopped (an interrupt, `--deadline`) before this organization started.
        case notStarted(String)
    }

    /// Each organization in order, once every one passed its checks (`verdicts`); when one did not, nothing is
    /// applied anywhere: `apply` reports the verdicts that did not pass, the others get `.notApplied`. A failure
    /// in one organization does not stop the next; a stop does: `stopped` answers, before each organization,
    /// nil to go on or the exit status of the organizations not started (130 for a signal, 1 for `--deadline`),
    /// which get `.notStarted`. `apply` reports (and, when ready, applies) one verdict and returns its exit
    /// status; what it applied is read from the reports it records in `tally` meanwhile.
    public static func applyInOrder(
        names: [String], verdicts: [Result<SavedPlanVerification.Verdict, any Error>], tally: ApplyTally,
        stopped: () -> Int32? = { nil },
        report: (Event) -> Void, apply: (Int, SavedPlanVerification.Verdict) async throws -> Int32
    ) async rethrows -> [OrganizationApplyOutcome] {
        let passed = verdicts.allSatisfy { (try? $0.get())?.exitCode == 0 }
        var outcomes: [OrganizationApplyOutcome] = []
        for (index, verdict) in verdicts.enumerated() {
            if let code = outcomes.last?.exitCode == 130 ? 130 : stopped() {
                report(.notStarted(names[index]))
                outcomes.append(OrganizationApplyOutcome(name: names[index], exitCode: code, applied: 0, failed: 0, state: .notStarted))
                continue
            }
            report(.heading(names[index]))
            let before = tally.reports.count
            var code: Int32 = 0
            switch verdict {
            case .failure(let error):
                report(.failed(error))
                code = 1
            case .success(let verdict) where passed || verdict.exitCode != 0:
                code = try await apply(index, verdict)
            case .success:
                report(.notApplied)
            }
            let reports = tally.reports.dropFirst(before)
            outcomes.append(OrganizationApplyOutcome(
                name: names[index], exitCode: code, applied: reports.reduce(0) { $0 + $1.done + $1.reconciled },
                failed: reports.reduce(0) { $0 + $1.failed }, state: reports.contains(where: \.interrupted) ? .interrupted : .finished))
        }
        return outcomes
    }
}

extension OrganizationApplyOutcome {
    /// After a stop, each organization's state on one line: `Stopped: Acme EU finished (3 applied); Acme US
    /// interrupted (1 applied); Acme ZZ not started. Run apply again to finish.`
    public static func stoppedLine(_ outcomes: [OrganizationApplyOutcome]) -> String {
        let each = outcomes.map { outcome in
            let name = escapeForTerminal(outcome.name)
            return outcome.state == .notStarted ? "\(name) not started" : "\(name) \(outcome.state.rawValue) (\(outcome.applied) applied)"
        }
        return "Stopped: " + each.joined(separator: "; ") + ". Run apply again to finish."
    }

    /// The `GITHUB_OUTPUT` lines of an apply over several organizations: the totals and the organizations' names.
    public static func outputs(_ outcomes: [OrganizationApplyOutcome], names: [String]) -> [(String, String)] {
        [
            ("applied", String(outcomes.reduce(0) { $0 + $1.applied })),
            ("failed", String(outcomes.reduce(0) { $0 + $1.failed })),
            ("organizations", names.joined(separator: ",")),
        ]
    }
}

extension LoadedOrganization {
    /// The digest and `manifest_files` of the organization's manifests, relative to its root, as its plan records
    /// them.
    public var fingerprint: (digest: String, files: [String: String]) {
        ManifestDigest.fingerprint(files: sources.map { ($0.path, Data($0.bytes)) }, roots: [organization?.root ?? "."])
    }
}

extension SavedPlanVerification.Manifests {
    /// One organization root's manifests for `apply PLANFILE --manifests` of a plan set: fingerprinted as `plan`
    /// fingerprints a root, planned again with `client` (its own organization's).
    public init(
        organization: LoadedOrganization, paths: [String], client: some CogramClientProtocol, parallelism: Int,
        options: PlanOptions
    ) {
        let fingerprint = organization.fingerprint
        self.init(paths: paths, digest: { fingerprint.digest }, files: fingerprint.files) {
            try await readAndPlan(
                desired: organization.desired, client: client, options: options, scope: nil, parallelism: parallelism).plan
        }
    }
}
