import ArgumentParser
import CogramManifest
import CogramPlan
import Foundation

extension DriftCommand {
    /// `drift` over several organization roots (cli.md, "Several organizations"): each organization checked with
    /// its own key, all at once (`checkDrift`); a section per organization and a line of totals, a metrics entry
    /// per organization, `--adopt` per root. Exit status: the worst of the organizations.
    func checkOrganizations(_ selected: [LoadedOrganization]) async throws {
        if adoptInto != nil, selected.count > 1 {
            throw CLIError("--adopt-into names one file of one organization: choose that organization with --org")
        }
        var options = PlanOptions(toolVersion: Cogramctl.version, apiURL: "", manifestDigest: "", now: Date(), validity: 0)
        options.expiryWarningDays = expiry.expiryWarning
        let names = selected.map { $0.name ?? "unnamed" }
        let results: [Result<DriftCheck, any Error>]
        do {
            results = try await Backend.withOrganizationClients(
                connection: connection, sandbox: sandbox, organizations: selected,
                requestsPerMinute: reading.requestsPerMinute, parallelism: reading.parallelism
            ) { [parallelism = reading.parallelism] clients in
                await checkDrift(clients.map(\.read), parallelism: parallelism, options: options)
            }
        } catch {
            // Nothing was read (a missing key, a sandbox that did not start): every organization's check failed.
            if let metrics { try? DriftMetrics.write(DriftMetricsEntry.entries([], organizations: names, at: options.now), to: metrics) }
            throw error
        }
        if let metrics { try DriftMetrics.write(DriftMetricsEntry.entries(results, organizations: names, at: options.now), to: metrics) }
        let checks = try Planning.collect(
            results, of: selected, command: "drift", notDone: "no report was printed and nothing was adopted",
            failure: "could not be checked", plan: { $0.plan })
        guard !adopt else {
            var statuses: [Int32] = []
            for check in checks {
                Terminal.writeError("\(check.organization.name ?? "unnamed"):\n")
                do {
                    try adoptDrift(check.report, sources: check.organization.sources, observed: check.observed, options: check.options, paths: [check.root])
                } catch let exit as ExitCode { statuses.append(exit.rawValue) }
            }
            let worst = OrganizationRuns.worstExitCode(statuses)
            if worst != 0 { throw ExitCode(worst) }
            return
        }
        let set = DriftSet(checks)
        Terminal.writeOutput(rendered: try format.render(set))
        if set.hasDrift { throw ExitCode(2) }
    }
}
