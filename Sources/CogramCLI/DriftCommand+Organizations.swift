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
        var entries = selected.map { DriftMetricsEntry.failed(organization: $0.name ?? "unnamed", at: options.now) }
        let parallelism = reading.parallelism
        let results: [Result<DriftCheck, any Error>]
        do {
            results = try await Backend.withOrganizationClients(
                connection: connection, sandbox: sandbox, organizations: selected,
                requestsPerMinute: reading.requestsPerMinute, parallelism: parallelism
            ) { clients in
                await checkDrift(clients.map(\.read), parallelism: max(1, parallelism / clients.count), options: options)
            }
        } catch {
            // Nothing was read (a missing key, a sandbox that did not start): every organization's check failed.
            if let metrics { try? DriftMetrics.write(entries, to: metrics) }
            throw error
        }
        var checks: [DriftCheck] = []
        for (index, result) in results.enumerated() {
            do {
                let check = try result.get()
                try Planning.reportErrors(check.plan, sources: check.organization.sources, command: "drift")
                checks.append(check)
                entries[index] = .checked(check.report)
            } catch {
                if !(error is ExitCode) { Terminal.writeError("error: organization '\(selected[index].name ?? "unnamed")': \(error)\n") }
            }
        }
        if let metrics { try DriftMetrics.write(entries, to: metrics) }
        guard checks.count == selected.count else {
            Terminal.writeError("error: not every organization could be checked; no report was printed and nothing was adopted\n")
            throw ExitCode(1)
        }
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
