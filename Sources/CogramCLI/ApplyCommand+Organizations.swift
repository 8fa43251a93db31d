import ArgumentParser
import CogramAPI
import CogramManifest
import CogramPlan
import Foundation

extension ApplyCommand {
    /// Set while the organizations of one run are applied: each report is counted for the totals, and the outputs
    /// are written once, for all of them.
    @TaskLocal static var tally: ApplyTally?

    /// The plan set in `path`, before anything in it is trusted; nil when the file does not say it is one. A file
    /// that says so but does not read as one stops here (exit 3).
    static func savedPlanSet(at path: String) throws -> UnverifiedPlanSet? {
        guard let data = FileManager.default.contents(atPath: path),
              JSONValue(json: data)?.objectValue?["kind"]?.stringValue == PlanSet.kind
        else { return nil }
        do {
            return try UnverifiedPlanSet(data: data)
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
        if sandbox.isEnabled || connection.apiKeyFile != nil {
            throw CLIError("a plan set is applied with each organization's key from the variable its plan records: remove --sandbox and --api-key-file")
        }
        let positions: [Int]
        do {
            positions = try PlanSetApply.positions(set, names: organizations.names)
        } catch let unknown as PlanSetApply.UnknownOrganizations {
            throw CLIError(wrapping: unknown)
        } catch {
            try Self.refuseSet("\(error)")
        }
        if format == .json, positions.count != 1 { throw CLIError("--format json reports one organization: add --org NAME") }
        let settings = try OrganizationRuns.resolveKeys(positions) { try connection.resolveSettings(keyVariable: set.keyVariables[$0]) }
        let environment = Terminal.environment
        // The key of each plan of the set; nil for an organization not selected whose variable is not set.
        let signingKey = { (position: Int) -> PlanSigningKey? in
            if let secret = environment["COGRAM_PLAN_KEY"], !secret.isEmpty { return .fromSecret(secret) }
            let key = positions.firstIndex(of: position).map { settings[$0].apiKey }
                ?? (try? ClientSettings.resolveAPIKey(apiKeyFile: nil, variable: set.keyVariables[position], environment: environment))
            return key.map { .derived(fromAPIKey: $0.unredactedValue) }
        }
        let plans: [Plan]
        do {
            plans = try PlanSetApply.plans(set, positions: positions, key: signingKey)
        } catch {
            try Self.refuseSet("\(error)")
        }
        let roots = manifests.isEmpty ? nil : ManifestLoader().loadOrganizations(paths: manifests)
        if let roots { try DiagnosticReporter.check(roots.diagnostics, sources: roots.sources, command: "apply") }
        let code: Int32 = try await Backend.withClients(
            connection: connection, settings: settings, database: nil,
            requestsPerMinute: planning.reading.requestsPerMinute, parallelism: planning.reading.parallelism
        ) { clients in
            let entries = try plans.indices.map { index in
                var plan = plans[index]
                plan.keySource = plan.organization?.apiKeyEnv ?? "COGRAM_API_KEY"
                let name = plan.organization?.name ?? "unnamed"
                let run = OrganizationRun(name: name, anchor: plan.organization?.anchor, client: clients[index].client, keySource: plan.keySource ?? "")
                let apiURL = clients[index].identity.apiURL
                let replan = try roots.map { roots in
                    guard let organization = roots.organizations.first(where: { $0.name == name }) else {
                        throw CLIError("--manifests \(manifests.joined(separator: " ")) holds no organization '\(name)': give the folder that holds every organization of the plan set")
                    }
                    return replanning(organization, client: clients[index].client, apiURL: apiURL)
                }
                return PlanSetApply.Entry(
                    run: run, plan: plan, key: signingKey(positions[index]) ?? .derived(fromAPIKey: settings[index].apiKey.unredactedValue),
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
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// `--manifests` for one organization of a set: its root's manifests, fingerprinted as `plan` did.
    private func replanning(_ organization: LoadedOrganization, client: CogramClient, apiURL: String) -> SavedPlanVerification.Manifests {
        let fingerprint = ManifestDigest.fingerprint(
            files: organization.sources.map { ($0.path, Data($0.bytes)) }, roots: [organization.organization?.root ?? "."])
        let options = planning.planOptions(apiURL: apiURL, digest: fingerprint.digest)
        let parallelism = planning.reading.parallelism
        let keySource = organization.organization?.apiKeyEnv ?? "COGRAM_API_KEY"
        return SavedPlanVerification.Manifests(paths: manifests, digest: { fingerprint.digest }, files: fingerprint.files) {
            try await Planning.plan(
                desired: organization.desired, client: client, options: options, parallelism: parallelism, verbose: false, keySource: keySource)
        }
    }

    /// `apply PATH…` over several organization roots: every organization planned with its own key, all at once;
    /// the plans shown in sections, one confirmation for all, then applied one after the other.
    func applyOrganizations(_ selected: [LoadedOrganization]) async throws {
        if changedSince.changedSince != nil {
            throw CLIError("--changed-since applies one organization at a time: give it one organization's folder, or leave it out")
        }
        if format == .json, selected.count != 1 { throw CLIError("--format json reports one organization: add --org NAME") }
        let selected = selected.sorted { ($0.name ?? "") < ($1.name ?? "") }
        let planning = self.planning
        let verbose = connection.verbose
        let code: Int32 = try await Backend.withOrganizationClients(
            connection: connection, sandbox: sandbox, organizations: selected,
            requestsPerMinute: planning.reading.requestsPerMinute, parallelism: planning.reading.parallelism
        ) { clients in
            let outcomes = await Planning.planEach(clients, planning: planning, validity: 3600, verbose: verbose)
            var plans: [Plan] = []
            for (organization, outcome) in zip(selected, outcomes) {
                do {
                    let (plan, _) = try outcome.get()
                    try Planning.reportErrors(plan, sources: organization.sources, command: "apply")
                    plans.append(plan)
                } catch is ExitCode {
                } catch {
                    Terminal.writeError("error: organization '\(organization.name ?? "unnamed")': \(error)\n")
                }
            }
            guard plans.count == selected.count else {
                Terminal.writeError("error: not every organization could be planned; nothing was changed in any organization\n")
                return 1
            }
            if format == .human { Terminal.writeOutput(rendered: renderHuman(PlanSet(plans: plans), color: Terminal.stdoutColor) + "\n\n") }
            let refused = plans.filter { !$0.safetyViolations.isEmpty }
            for plan in refused {
                Terminal.writeError("\(plan.organization?.name ?? "unnamed"):\n")
                Planning.reportSafety(plan.safetyViolations, asErrors: true)
            }
            if !refused.isEmpty {
                Terminal.writeError("Apply refused by the safety caps; nothing was changed in any organization.\n")
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

    /// Applies each organization in order, under its own heading, once every one passed its checks; when one did
    /// not, nothing is applied anywhere and each organization that failed says why. A failure in one does not stop
    /// the next; an interruption does. Ends with the totals; the worst exit status.
    private func applyEach(
        _ items: [(name: String, plan: Plan, client: CogramClient)],
        verdicts: [Result<SavedPlanVerification.Verdict, any Error>], showing: Bool
    ) async throws -> Int32 {
        let passed = verdicts.allSatisfy { (try? $0.get())?.exitCode == 0 }
        let tally = ApplyTally()
        var outcomes: [OrganizationApplyOutcome] = []
        for (item, verdict) in zip(items, verdicts) {
            if outcomes.last?.exitCode == 130 { break }
            if format == .human { Terminal.writeOutput(rendered: "=== \(escapeForTerminal(item.name)) ===\n\n") }
            let before = tally.reports.count
            var code: Int32 = 0
            switch verdict {
            case .failure(let error):
                Terminal.writeError("error: organization '\(escapeForTerminal(item.name))': \(error)\nNothing was changed in it.\n")
                code = 1
            case .success(let verdict) where passed || verdict.exitCode != 0:
                code = try await Self.$tally.withValue(tally) {
                    try await handle(verdict, of: item.plan, client: item.client, showing: showing)
                }
            case .success:
                Terminal.writeOutput("Not applied: the plan of another organization did not pass its checks.\n\n")
            }
            let reports = tally.reports.dropFirst(before)
            outcomes.append(OrganizationApplyOutcome(
                name: item.name, exitCode: code, applied: reports.reduce(0) { $0 + $1.done + $1.reconciled },
                failed: reports.reduce(0) { $0 + $1.failed }))
        }
        if format == .human { Terminal.writeOutput(rendered: OrganizationApplyOutcome.totalsLine(outcomes) + "\n") }
        GitHubActions.setOutputs([
            ("applied", String(outcomes.reduce(0) { $0 + $1.applied })), ("failed", String(outcomes.reduce(0) { $0 + $1.failed })),
            ("organizations", items.map(\.name).joined(separator: ",")),
        ])
        return OrganizationRuns.worstExitCode(outcomes.map(\.exitCode))
    }
}
