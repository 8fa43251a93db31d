import ArgumentParser
import CogramAPI
import CogramManifest
import CogramPlan
import CogramSandbox
import Foundation

extension ApplyCommand {
    /// Set while the organizations of one run are applied: each report is counted for the totals, and the outputs
    /// are written once, for all of them.
    @TaskLocal static var tally: ApplyTally?
    /// Set while several organizations are applied: one stop and one signal handler for the whole run, so that an
    /// interrupt between two organizations stops the run too.
    @TaskLocal static var runStop: (flag: StopFlag, interrupts: InterruptHandler)?

    /// The plan set in `path`, nil when the file is not one; one that does not read stops here (exit 3).
    func readPlanSet(_ path: String) throws -> UnverifiedPlanSet? { try Self.refusing { try PlanSetApply.read(path: path) } }

    /// `body`, or exit 3 (nothing sent) when the set cannot be applied; exit 1 for an `--org` it does not hold.
    static func refusing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let unknown as PlanSetApply.UnknownOrganizations {
            throw CLIError(wrapping: unknown)
        } catch {
            try refuseSet("\(error)")
        }
    }

    /// A plan set that cannot be applied: nothing was sent (exit 3).
    static func refuseSet(_ reason: String) throws -> Never {
        Terminal.writeError("error: \(reason)\nNothing was changed.\n")
        GitHubActions.appendStepSummary(renderNotAppliedMarkdown(.stale, reasons: [reason]))
        GitHubActions.setOutputs([("applied", "0"), ("failed", "0")])
        throw ExitCode(3)
    }

    /// `apply PLANFILE` of a plan set (cli.md, "Plan sets"): the selected organizations' keys first, the set's
    /// signatures, then every organization's anchor, then every plan's checks, and only then each plan applied.
    func applySavedSet(_ set: UnverifiedPlanSet) async throws {
        if connection.apiKeyFile != nil {
            throw CLIError("a plan set is applied with each organization's key from the variable its plan records (with --sandbox, the sandbox's): remove --api-key-file")
        }
        let positions = try Self.refusing { try PlanSetApply.positions(set, names: organizations.names) }
        guard sandbox.isEnabled else {
            let settings = try OrganizationRuns.resolveKeys(positions) { try connection.resolveSettings(keyVariable: set.keyVariables[$0]) }
            return try await applySavedSet(set, positions: positions, settings: settings, database: nil, environment: Terminal.environment)
        }
        let plans = try Self.refusing { try set.unchecked().plans }
        let seeds = positions.map { SandboxOrganizationSeed(name: plans[$0].organization?.name ?? "", anchor: plans[$0].organization?.anchor) }
        try await Backend.withSandboxOrganizations(
            connection: connection, sandbox: sandbox, seeds: seeds, requestsPerMinute: planning.reading.requestsPerMinute
        ) { settings, database in
            // The sandbox's keys signed these plans: a key in a plan's variable (of a plan not selected) did not.
            try await applySavedSet(
                set, positions: positions, settings: settings.map(\.0), database: database,
                environment: Terminal.environment.filter { $0.key == "COGRAM_PLAN_KEY" })
        }
    }

    private func applySavedSet(
        _ set: UnverifiedPlanSet, positions: [Int], settings: [ClientSettings], database: String?, environment: [String: String]
    ) async throws {
        let keys = PlanSetApply.signingKeys(
            set, resolved: Dictionary(uniqueKeysWithValues: zip(positions, settings.map(\.apiKey))), environment: environment)
        let plans = try Self.refusing { try PlanSetApply.plans(set, positions: positions) { keys[$0] } }
        let roots = manifests.isEmpty ? nil : ManifestLoader().loadOrganizations(paths: manifests)
        if let roots { try DiagnosticReporter.check(roots.diagnostics, sources: roots.sources, command: "apply") }
        let code: Int32 = try await withRunStop { _, _ in try await Backend.withClients(
            connection: connection, settings: settings, database: database,
            requestsPerMinute: planning.reading.requestsPerMinute, parallelism: planning.reading.parallelism
        ) { clients in
            let entries = try plans.indices.map { index in
                var plan = plans[index]
                plan.keySource = database == nil ? plan.organization?.apiKeyEnv ?? "COGRAM_API_KEY" : OrganizationHeader.sandboxKeySource
                let name = plan.organization?.name ?? "unnamed"
                let run = OrganizationRun(name: name, anchor: plan.organization?.anchor, client: clients[index].client, keySource: plan.keySource ?? "")
                let apiURL = clients[index].identity.apiURL
                let replan = try roots.map { roots in
                    guard let organization = roots.organizations.first(where: { $0.name == name }) else {
                        throw CLIError("--manifests \(manifests.joined(separator: " ")) holds no organization '\(name)': give the folder that holds every organization of the plan set")
                    }
                    return SavedPlanVerification.Manifests(
                        organization: organization, paths: manifests, client: clients[index].client, parallelism: planning.reading.parallelism,
                        options: planning.planOptions(apiURL: apiURL, digest: organization.fingerprint.digest))
                }
                return PlanSetApply.Entry(
                    run: run, plan: plan, key: keys[positions[index]] ?? .derived(fromAPIKey: settings[index].apiKey.unredactedValue),
                    apiURL: apiURL, options: planning.planOptions(apiURL: apiURL, digest: plan.manifestDigest), manifests: replan)
            }
            let (mismatches, verdicts) = try await PlanSetApply.verify(entries, parallelism: planning.reading.parallelism)
            guard mismatches.isEmpty else {
                for mismatch in mismatches { Terminal.writeError("error: \(mismatch)\n") }
                GitHubActions.appendStepSummary(Planning.failureMarkdown(command: "apply", CLIError(TerminalMessage(rendered: mismatches.map(\.description).joined(separator: "\n")))))
                GitHubActions.setOutputs([("applied", "0"), ("failed", "0")])
                return 1
            }
            return try await applyEach(entries.map { ($0.run.name, $0.plan, $0.run.client) }, verdicts: verdicts, showing: true)
        } }
        if code != 0 { throw ExitCode(code) }
    }

    /// `apply PATH…` over several organization roots: every organization planned with its own key, all at once;
    /// the plans shown in sections, one confirmation for all, then applied one after the other.
    func applyOrganizations(_ selected: [LoadedOrganization]) async throws {
        if changedSince.changedSince != nil {
            throw CLIError("--changed-since applies one organization at a time: give it one organization's folder, or leave it out")
        }
        let selected = selected.sorted { ($0.name ?? "") < ($1.name ?? "") }
        let planning = self.planning
        let verbose = connection.verbose
        let code: Int32 = try await Backend.withOrganizationClients(
            connection: connection, sandbox: sandbox, organizations: selected,
            requestsPerMinute: planning.reading.requestsPerMinute, parallelism: planning.reading.parallelism
        ) { clients in
            let outcomes = await Planning.planEach(clients, planning: planning, validity: 3600, verbose: verbose)
            let plans = try Planning.collect(outcomes, of: selected, command: "apply", notDone: "nothing was changed in any organization", plan: { $0.0 }).map { $0.0 }
            if format == .human { Terminal.writeOutput(rendered: renderHuman(PlanSet(plans: plans), color: Terminal.stdoutColor) + "\n\n") }
            for plan in plans where !plan.safetyViolations.isEmpty {
                Terminal.writeError("\(plan.organization?.name ?? "unnamed"):\n")
                Planning.reportSafety(plan.safetyViolations, asErrors: true)
            }
            if plans.contains(where: { !$0.safetyViolations.isEmpty }) {
                Terminal.writeError("Apply refused by the safety caps; nothing was changed in any organization.\n")
                if format == .json, plans.count > 1 {
                    Terminal.writeOutput(rendered: String(decoding: try ApplyReportSetDocument(refused: plans).jsonData(), as: UTF8.self) + "\n")
                }
                GitHubActions.setOutputs([("applied", "0"), ("failed", "0")])
                return 4
            }
            if plans.contains(where: { !$0.isEmpty }), !(try confirm()) {
                Terminal.writeError("Apply cancelled; nothing was changed.\n")
                return 1
            }
            let verdicts = plans.map { plan -> Result<SavedPlanVerification.Verdict, any Error> in
                .success(plan.isEmpty ? .nothingToDo(alreadyDone: 0) : .ready(plan: plan, alreadyDone: 0))
            }
            return try await applyEach(
                zip(plans, clients).map { ($0.organization?.name ?? "unnamed", $0, $1.client) }, verdicts: verdicts, showing: false)
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// Applies each organization in order under its own heading once every one passed its checks, then the
    /// totals; the worst exit status (see `PlanSetApply.applyInOrder`).
    private func applyEach(
        _ items: [(name: String, plan: Plan, client: CogramClient)],
        verdicts: [Result<SavedPlanVerification.Verdict, any Error>], showing: Bool
    ) async throws -> Int32 {
        try await withRunStop { stop, interrupts in try await applyEach(items, verdicts: verdicts, showing: showing, stop: stop, interrupts: interrupts) }
    }

    /// `body` with the run's stop flag and signal handler: those of the enclosing run when there is one, else new
    /// ones installed for `body` (with the `--deadline` watch). Over several organizations one handler covers the
    /// whole run, so that an interrupt between two organizations, or while their plans are checked, stops it too.
    func withRunStop<T>(_ body: (StopFlag, InterruptHandler) async throws -> T) async throws -> T {
        if let run = Self.runStop { return try await body(run.flag, run.interrupts) }
        let stop = StopFlag(deadline: connection.deadlineInstant)
        let interrupts = InterruptHandler(stop: stop)
        interrupts.install()
        defer { interrupts.uninstall() }
        let deadlineWatch = connection.stopAtDeadline(stop)
        defer { deadlineWatch?.cancel() }
        return try await Self.$runStop.withValue((stop, interrupts)) { try await body(stop, interrupts) }
    }

    private func applyEach(
        _ items: [(name: String, plan: Plan, client: CogramClient)],
        verdicts: [Result<SavedPlanVerification.Verdict, any Error>], showing: Bool, stop: StopFlag, interrupts: InterruptHandler
    ) async throws -> Int32 {
        let tally = ApplyTally(collectsDocuments: format == .json && items.count > 1)
        let outcomes = try await PlanSetApply.applyInOrder(
            names: items.map(\.name), verdicts: verdicts, tally: tally, stopped: { stop.isStopped ? (interrupts.signalled ? 130 : 1) : nil }
        ) { event in
            let plan = items[min(tally.documents.count, items.count - 1)].plan
            switch event {
            case .heading(let name): if format == .human { Terminal.writeOutput(rendered: "=== \(escapeForTerminal(name)) ===\n\n") }
            case .notApplied:
                writeNote("Not applied: the plan of another organization did not pass its checks.\n\n")
                tally.recordMissing(plan, .notStarted, reason: "the plan of another organization did not pass its checks")
            case .failed(let error):
                Terminal.writeError("error: \(error)\nNothing was changed in this organization.\n")
                tally.recordMissing(plan, .failed, reason: "\(error)")
            case .notStarted: tally.recordMissing(plan, .notStarted, reason: "the run was stopped before this organization started")
            }
        } apply: { index, verdict in
            let code = try await Self.$tally.withValue(tally) {
                try await handle(verdict, of: items[index].plan, client: items[index].client, showing: showing)
            }
            if case .wrongOrganization(let mismatch) = verdict { tally.recordMissing(items[index].plan, .failed, reason: "\(mismatch)") }
            return code
        }
        let code = OrganizationRuns.worstExitCode(outcomes.map(\.exitCode))
        if outcomes.contains(where: { $0.state != .finished }) {
            Terminal.writeError(rendered: OrganizationApplyOutcome.stoppedLine(outcomes) + "\n")
        }
        if format == .human { Terminal.writeOutput(rendered: OrganizationApplyOutcome.totalsLine(outcomes) + "\n") }
        if tally.collectsDocuments {
            Terminal.writeOutput(rendered: String(decoding: try ApplyReportSetDocument(tally.documents, exitCode: code).jsonData(), as: UTF8.self) + "\n")
        }
        GitHubActions.setOutputs(OrganizationApplyOutcome.outputs(outcomes, names: items.map(\.name)))
        return code
    }
}
