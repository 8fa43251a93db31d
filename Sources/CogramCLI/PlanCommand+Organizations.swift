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
        let outcomes = try await Backend.withOrganizationClients(
            connection: connection, sandbox: sandbox, organizations: selected,
            requestsPerMinute: planning.reading.requestsPerMinute, parallelism: planning.reading.parallelism
        ) { clients in
            await Planning.planEach(clients, planning: planning, validity: validity, verbose: verbose, scopes: scopes)
        }
        let planned = try Planning.collect(outcomes, of: selected, command: "plan", notDone: "no plan of any organization was printed or saved", plan: { $0.0 })
        let keys = Dictionary(planned.map { ($0.0.organization?.name ?? "", $0.1) }) { first, _ in first }
        var set = PlanSet(plans: planned.map(\.0))
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
            let until = set.plans.map(\.expiresAt).min() ?? ""
            let database = set.plans.first.flatMap { BackendIdentity(apiURL: $0.apiURL) }.flatMap { if case .sandbox(let path) = $0 { path } else { nil } }
            let command = "cogramctl apply \(out)" + (database.map { " --sandbox=\(Backend.relativePath($0))" } ?? "")
            Terminal.writeError("Saved the plan set of \(set.plans.count) organizations to \(out) (valid until \(until)). Apply exactly this plan set with: \(command)\n")
        }
        GitHubActions.appendStepSummary(renderMarkdown(set))
        GitHubActions.setOutputs(set.outputs(planFile: out))
        if set.plans.contains(where: { !$0.safetyViolations.isEmpty }) { throw ExitCode(4) }
        if detailedExitcode, !set.isEmpty { throw ExitCode(2) }
    }
}

extension Planning {
    /// Each organization's result, its plan errors reported (`plan` gives the plan of a result, if any); when one failed,
    /// says which (and what was not done) and throws exit 1.
    static func collect<T>(
        _ outcomes: [Result<T, any Error>], of selected: [LoadedOrganization], command: String, notDone: String,
        failure: String = "could not be planned", plan: (T) -> Plan?
    ) throws -> [T] {
        var done: [T] = []
        var failed: [String] = []
        for (organization, outcome) in zip(selected, outcomes) {
            do {
                let result = try outcome.get()
                if let plan = plan(result) { try reportErrors(plan, sources: organization.sources, command: command) }
                done.append(result)
            } catch {
                if !(error is ExitCode) { Terminal.writeError("error: organization '\(organization.name ?? "unnamed")': \(error)\n") }
                failed.append(organization.name ?? "unnamed")
            }
        }
        guard failed.isEmpty else {
            let message = "the organization\(failed.count == 1 ? "" : "s") \(failed.map { "'\($0)'" }.joined(separator: ", ")) \(failure); \(notDone)"
            Terminal.writeError("error: \(message)\n")
            GitHubActions.appendStepSummary(failureMarkdown(command: command, CLIError(TerminalMessage(rendered: message))))
            throw ExitCode(1)
        }
        return done
    }

    /// Plans each organization with its own client, all at once, each with the run's parallelism (their reads
    /// overlap: BENCHMARKS.md, figure 13); a plan without errors is signed with its organization's key. One
    /// organization's failure is its own.
    static func planEach(
        _ clients: [OrganizationClient], planning: PlanningOptions, validity: TimeInterval, verbose: Bool,
        scopes: [String: ProjectScope] = [:]
    ) async -> [Result<(Plan, PlanSigningKey), any Error>] {
        let parallelism = planning.reading.parallelism
        return await OrganizationRuns.concurrently(clients) { organizationClient in
            let organization = organizationClient.organization
            let fingerprint = organization.fingerprint
            let options = planning.planOptions(
                apiURL: organizationClient.identity.apiURL, digest: fingerprint.digest, files: fingerprint.files, validity: validity)
            let plan = try await Planning.plan(
                desired: organization.desired, client: organizationClient.client, options: options, parallelism: parallelism,
                verbose: verbose, scope: organization.name.flatMap { scopes[$0] }, keySource: organizationClient.keySource)
            let key = planSigningKey(client: organizationClient.client)
            return (plan.errors.isEmpty ? try plan.signed(with: key) : plan, key)
        }
    }
}
