import ArgumentParser
import CogramAPI
import CogramManifest
import CogramPlan
import Foundation

/// `cogramctl drift PATH…`: where Cogram differs from the manifests, read in full and never scoped.
struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Report where Cogram differs from the manifests.",
        discussion: """
            Reads the whole organization (every project, user and member list) and reports each difference with \
            what the manifest says, what Cogram has, the manifest location and whether it can be adopted. \
            Exit status: 0 no drift, 2 drift, 1 error. With --adopt: writes Cogram's values into the manifests \
            for every adoptable difference and prints the diff; exit 0 everything adopted (or nothing to adopt), \
            2 drift that cannot be adopted remains (listed), 1 error.
            """
    )

    @Argument(help: ArgumentHelp("Manifest files or directories.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp("Output format.", valueName: "human|json|markdown"))
    var format: DriftFormat = .human

    @OptionGroup var reading: ReadOptions

    @Flag(help: "Write Cogram's values into the manifests for every adoptable difference, and print the diff.")
    var adopt = false

    @Option(name: .customLong("adopt-into"), help: ArgumentHelp(
        "With --adopt: the manifest that projects created in the app go into (inside the organization's root).", valueName: "file"))
    var adoptInto: String?

    @Flag(help: "With --adopt: print the diff and write nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp(
        "Also write Prometheus metrics of the check to this file (node_exporter's textfile format), replaced atomically; on an error, cogram_drift_check_success 0.",
        valueName: "file"))
    var metrics: String?

    @OptionGroup var expiry: ExpiryWarningOption
    @OptionGroup var organizations: OrganizationSelection
    @OptionGroup var sandbox: SandboxSelection
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        try validateAdoption()
    }

    func run() async throws {
        let loaded = ManifestLoader().loadOrganizations(paths: paths)
        if loaded.isValid, loaded.organizations.count > 1 {
            return try await checkOrganizations(try organizations.select(loaded))
        }
        if loaded.isValid, !organizations.names.isEmpty { _ = try organizations.select(loaded) }
        var organization = DriftOrganization(nil).label
        do {
            try await check(loaded, organization: &organization)
        } catch let error where (error as? ExitCode)?.rawValue != 2 && !(error is DriftMetricsError) {
            // Any failure of the check still tells the collector, so that an alert sees the check failing.
            if let metrics {
                do { try DriftMetrics.write([.failed(organization: organization, at: Date())], to: metrics) }
                catch { Terminal.writeError("warning: \(error)\n") }
            }
            throw error
        }
    }

    /// The check; `organization` becomes the metrics label as soon as the manifests name it.
    private func check(_ loaded: OrganizationLoadResult, organization: inout String) async throws {
        let (desired, sources) = try Planning.load(loaded, paths: paths, command: "drift", verbose: connection.verbose)
        let digest = Planning.fingerprint(sources, paths: paths).digest
        organization = DriftOrganization(desired.organization).label
        let keySource = connection.keySource(variable: desired.organization?.apiKeyEnv, sandbox: sandbox.isEnabled)
        let (report, plan, observed, options) = try await Backend.withClient(
            connection: connection, sandbox: sandbox, manifestPaths: paths, desired: desired,
            requestsPerMinute: reading.requestsPerMinute, parallelism: reading.parallelism
        ) { client, identity in
            var options = PlanOptions(
                toolVersion: Cogramctl.version, apiURL: identity.apiURL, manifestDigest: digest, now: Date(), validity: 0)
            options.expiryWarningDays = expiry.expiryWarning
            let progress = ReadingProgress()
            progress.start()
            let report: DriftReport, plan: Plan, observed: ObservedState
            do {
                defer { progress.finish() }
                (report, plan, observed) = try await readDrift(
                    desired: desired, client: client, options: options, parallelism: reading.parallelism, keySource: keySource,
                    progress: { progress.record($0) })
            }
            if connection.verbose { Terminal.writeError(rendered: observed.readSummary(await client.requestCount)) }
            return (report, plan, observed, options)
        }
        try Planning.reportErrors(plan, sources: sources, command: "drift")
        if let metrics { try DriftMetrics.write([.checked(report)], to: metrics) }
        if adopt {
            return try adoptDrift(report, sources: sources, observed: observed, options: options, paths: paths)
        }
        Terminal.writeOutput(rendered: try format.render(report, expiring: plan.expiring, paths: paths))
        if report.hasDrift { throw ExitCode(2) }
    }
}

extension DriftFormat: ExpressibleByArgument {}
