import ArgumentParser
import CogramAPI
import CogramCore
import CogramManifest
import CogramPlan
import Foundation

extension PlanCommand {
    /// `plan` over several organization roots (cli.md, "Several organizations"): each organization planned with
    /// its own key, all at once; one section per organization and a line of totals; `--out` saves a plan set.
    func makePlanSet(_ selected: [LoadedOrganization], loaded: OrganizationLoadResult) async throws {
        if connection.verbose { Planning.reportSkipped(loaded.single) }
        let scopes = try await changedSince.scopes(paths: paths, organizations: selected)
        let validity = parseDuration(expiresIn) ?? 86400
        let planning = self.planning
        let verbose = connection.verbose
        let share = max(1, planning.reading.parallelism / max(1, selected.count))
        let outcomes = try await Backend.withOrganizationClients(
            connection: connection, sandbox: sandbox, organizations: selected,
            requestsPerMinute: planning.reading.requestsPerMinute, parallelism: planning.reading.parallelism
        ) { clients in
            await OrganizationRead.concurrently(clients.map(\.read)) { read in
                let fingerprint = ManifestDigest.fingerprint(
                    files: read.organization.sources.map { ($0.path, Data($0.bytes)) }, roots: [read.root])
                let options = planning.planOptions(
                    apiURL: read.apiURL, digest: fingerprint.digest, files: fingerprint.files, validity: validity)
                let plan = try await Planning.plan(
                    desired: read.organization.desired, client: read.run.client, options: options, parallelism: share,
                    verbose: verbose, scope: scopes[read.run.name], keySource: read.run.keySource)
                let key = planSigningKey(client: read.run.client)
                return (plan.errors.isEmpty ? try plan.signed(with: key) : plan, key)
            }
        }
        var plans: [Plan] = []
        var keys: [String: PlanSigningKey] = [:]
        var failed: [String] = []
        for (organization, outcome) in zip(selected, outcomes) {
            let name = organization.name ?? "unnamed"
            do {
                let (plan, key) = try outcome.get()
                try Planning.reportErrors(plan, sources: organization.sources, command: "plan")
                plans.append(plan)
                keys[name] = key
            } catch is ExitCode {
                failed.append(name)
            } catch {
                Terminal.writeError("error: organization '\(name)': \(error)\n")
                failed.append(name)
            }
        }
        guard failed.isEmpty else {
            let message = "the organization\(failed.count == 1 ? "" : "s") \(failed.map { "'\($0)'" }.joined(separator: ", ")) could not be planned; no plan of any organization was printed or saved"
            Terminal.writeError("error: \(message)\n")
            GitHubActions.appendStepSummary(Planning.failureMarkdown(command: "plan", CLIError(TerminalMessage(rendered: message))))
            throw ExitCode(1)
        }
        var set = PlanSet(plans: plans)
        set = try set.signed(with: PlanSigningKey.forSet(set.names.compactMap { keys[$0] }))
        switch format {
        case .human: Terminal.writeOutput(rendered: renderHuman(set, color: Terminal.stdoutColor) + "\n")
        case .json: Terminal.writeOutput(rendered: String(decoding: try set.jsonData(), as: UTF8.self) + "\n")
        case .markdown: Terminal.writeOutput(rendered: renderMarkdown(set))
        }
        for plan in set.plans where !plan.safetyViolations.isEmpty {
            Terminal.writeError("\(plan.organization?.name ?? "unnamed"):\n")
            Planning.reportSafety(plan.safetyViolations, asErrors: false)
        }
        if let out {
            try Self.save(set.jsonData, to: out, what: "the plan set")
            // The message offers only what this version does: it does not apply plan sets.
            let until = set.plans.map(\.expiresAt).min() ?? ""
            Terminal.writeError("Saved the plan set of \(set.plans.count) organizations to \(out) (valid until \(until)); show it with `cogramctl show \(out)`. This version does not apply plan sets yet: apply each organization from its own folder.\n")
        }
        GitHubActions.appendStepSummary(renderMarkdown(set))
        var outputs = [("has-changes", String(!set.isEmpty)), ("change-count", String(set.changeCount))]
        outputs += [("destructive", String(set.isDestructive)), ("access-removed", String(set.accessRemovedCount))]
        outputs.append(("organizations", set.names.joined(separator: ",")))
        if let out { outputs.append(("plan-file", out)) }
        GitHubActions.setOutputs(outputs)
        if set.plans.contains(where: { !$0.safetyViolations.isEmpty }) { throw ExitCode(4) }
        if detailedExitcode, !set.isEmpty { throw ExitCode(2) }
    }
}
